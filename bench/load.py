"""Load test: 50 concurrent clients for 60 s against gunicorn on PostgreSQL at 1M cases (`make bench-load`).

Seeds a database created for the run on BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test)
with BENCH_LOAD_CASES cases (default 1,000,000) and drops it afterwards. BENCH_LOAD_DATABASE=<url> uses that
database instead and keeps it: it is seeded only while it has no cases, so seed once and run many times.

gunicorn serves wsgi.py in the development config (no HTTPS requirements, no debugger; the scheduler not in
process) with 4 gthread workers of 4 threads; GUNICORN_CMD_ARGS adds or overrides options (e.g.
"--worker-class sync"). Clients do not sign in through /login (Argon2 and its per-address throttle would dominate):
each gets a server-side session of its own and the signed cookie naming it, made with the same SECRET_KEY
that the workers get through the environment.

BENCH_LOAD_CLIENTS threads (default 50, a fifth of them the lead, the others scouts) loop for
BENCH_LOAD_SECONDS (default 60) over a weighted mix of the caseload (pages 1-5), their case pages, /today and,
for the lead, /pipeline and /programme, on keep-alive http.client connections with a 10 s timeout. An error is
a status other than 200 or a failed connection; a timeout is no answer within 10 s. Percentiles are over every
request, timeouts included. By default clients do not pause between requests, so the median latency is about
clients / throughput: p95 under 1 s for 50 clients takes over 50 requests per second. BENCH_LOAD_THINK=<seconds>
lets each client pause that long on average after each answer, as a person reading the page. The table goes
to stdout and to bench-results/load.md, gunicorn's log to bench-results/load-gunicorn.log.
"""

import http.client
import logging
import math
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from app import create_app
from app.auth import sessions
from app.auth.models import User
from app.cases.models import Case
from app.cli import seed_reference_data
from app.demo_bulk import seed_bulk
from app.extensions import db
from app.transactions import unit_of_work
from bench import temporary_database

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results" / "load.md"
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
CASES = int(os.environ.get("BENCH_LOAD_CASES", "1000000"))
CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", "50"))
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
TIMEOUT = 10.0
# BENCH_LOAD_THINK: a client's mean pause between two requests in seconds (exponentially distributed, as a person
# reading the page); 0 (default) is the stress case where every client fires its next request at once.
THINK = float(os.environ.get("BENCH_LOAD_THINK", "0"))
# gthread over sync: on the same 2 shared CPUs it answered more requests per second of worker CPU (at 1M 39 vs
# 34; at 100k 13.7 vs 10.3 requests per s at the same CPU per request), as a worker's threads overlap one
# request's database wait with another's rendering; it also keeps connections alive. 4 x 4 threads need 16
# PostgreSQL connections.
# GUNICORN_CMD_ARGS comes after the defaults, so its options win.
GUNICORN = " ".join(["--workers 4 --worker-class gthread --threads 4 --timeout 60",
                     os.environ.get("GUNICORN_CMD_ARGS", "")]).strip()

# (label, weight, path) per role; "{case}" is one of the client's cases, "{page}" a caseload page 1-5.
MIX = {
    "scout": [("/cases", 4, "/cases?page={page}"), ("/cases/<id>", 4, "/cases/{case}"), ("/today", 2, "/today")],
    "lead": [("/cases", 2, "/cases?owner=all&page={page}"), ("/cases/<id>", 2, "/cases/{case}"),
             ("/pipeline", 2, "/pipeline"), ("/programme", 1, "/programme"), ("/today", 1, "/today")],
}
ACCOUNTS = {"lead": ["leitung@example.org"], "scout": ["scout1@example.org", "scout2@example.org"]}


def prepare(app: Flask) -> int:
    """Migrate, and seed the reference data and CASES cases where the database has none; the number of cases."""
    with app.app_context():
        upgrade()
        if cases := db.session.scalar(select(func.count(Case.id))):
            print(f"{cases:,} cases already there, not seeding", flush=True)
            return cases
        with unit_of_work():
            seed_reference_data()
        start = time.perf_counter()
        with unit_of_work():
            seed_bulk(CASES)
        print(f"seeded {CASES:,} cases in {time.perf_counter() - start:.0f} s", flush=True)
        with unit_of_work():  # what autovacuum would soon do; without it the planner guesses
            db.session.execute(text("ANALYZE"))
        return CASES


def sign_in(app: Flask) -> list[tuple[str, str, str, list[int]]]:
    """Per client: its role, a session of its own (token and cookie) and up to 1,000 of its cases (the lead:
    anyone's)."""
    rng, cookie_name = random.Random(7), app.config["SESSION_COOKIE_NAME"]
    serializer = app.session_interface.get_signing_serializer(app)
    with app.app_context():
        users = {email: db.session.scalar(select(User).where(User.email == email))
                 for emails in ACCOUNTS.values() for email in emails}
        cases = {}
        for email, user in users.items():
            query = select(Case.id) if user.role == "lead" else select(Case.id).where(Case.owner_id == user.id)
            ids = db.session.scalars(query.order_by(Case.id)).all()
            cases[email] = rng.sample(ids, min(1000, len(ids)))
        clients = []
        for i in range(CLIENTS):
            role = "lead" if i % 5 == 0 else "scout"
            email = ACCOUNTS[role][i % len(ACCOUNTS[role])]
            token = sessions.open_now(users[email])
            cookie = serializer.dumps({"_user_id": token, "_fresh": True})
            clients.append((role, token, f"{cookie_name}={cookie}", cases[email]))
    return clients


@contextmanager
def gunicorn(url: str, secret_key: str, log: Path):
    """gunicorn serving wsgi.py on a free loopback port; yields the port and stops the server afterwards."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PROCHECK_ENV": "development", "DATABASE_URL": url, "SECRET_KEY": secret_key,
           "SCHEDULER_IN_PROCESS": "0", "GUNICORN_CMD_ARGS": GUNICORN}
    env.pop("FLASK_DEBUG", None)
    with log.open("w") as output:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                                  cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                  start_new_session=True)  # Ctrl-C reaches us only; we stop it below
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {server.returncode}, see {log}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
                connection.request("GET", "/login")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            finally:
                connection.close()
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn does not answer after 60 s, see {log}")
            time.sleep(0.3)
        yield port, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _get(connection: http.client.HTTPConnection, path: str, headers: dict) -> http.client.HTTPResponse:
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()  # a sync worker closes the connection afterwards; the next request reconnects
    return response


def client(port: int, role: str, cookie: str, cases: list[int], seed: int, until: float, out: list) -> None:
    """One browser: GET after GET from the role's mix until `until`, each as (label, seconds, outcome)."""
    rng = random.Random(seed)
    labels, weights, paths = zip(*MIX[role], strict=True)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    headers = {"Cookie": cookie}
    while time.monotonic() < until:
        index = rng.choices(range(len(labels)), weights)[0]
        path = paths[index].format(page=rng.randint(1, 5), case=rng.choice(cases) if cases else 0)
        start = time.perf_counter()
        try:
            try:
                response = _get(connection, path, headers)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed the idle keep-alive connection while the client was thinking (gunicorn's
                # keep-alive is 2 s): reconnect and send again once, as a browser does.
                connection.close()
                response = _get(connection, path, headers)
            outcome = "ok" if response.status == 200 else f"status {response.status}"
        except TimeoutError:
            outcome = "timeout"
            connection.close()
        except (OSError, http.client.HTTPException) as exc:
            outcome = type(exc).__name__
            connection.close()
        elapsed = time.perf_counter() - start
        out.append((labels[index], elapsed, "timeout" if elapsed > TIMEOUT else outcome))
        if THINK:
            time.sleep(max(0.0, min(rng.expovariate(1 / THINK), until - time.monotonic())))


def _cpu_busy() -> tuple[int, int]:
    """The machine's busy and total CPU jiffies so far (Linux)."""
    try:
        fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0, 0
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _workers(master: int) -> tuple[float, list[float]]:
    """The CPU seconds and the resident memory (MB) of the gunicorn master's workers so far (Linux)."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        stats = [Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split() for pid in children]
        status = [Path(f"/proc/{pid}/status").read_text() for pid in children]
    except OSError:
        return math.nan, []
    cpu = sum(int(fields[11]) + int(fields[12]) for fields in stats) / os.sysconf("SC_CLK_TCK")  # utime + stime
    rss = [int(line.split()[1]) / 1024 for text_ in status for line in text_.splitlines() if line.startswith("VmRSS:")]
    return cpu, rss


def load(port: int, master: int, clients: list[tuple[str, str, str, list[int]]]) -> tuple[list, float, dict]:
    """Run the clients: every request, the wall time, and what the run cost (CPU of the client and of the gunicorn
    workers in CPUs, the machine's busy share with other processes included, the workers' RSS afterwards)."""
    until = time.monotonic() + SECONDS
    results: list[list] = [[] for _ in clients]
    threads = [threading.Thread(target=client, args=(port, role, cookie, cases, i, until, results[i]), daemon=True)
               for i, (role, _, cookie, cases) in enumerate(clients)]
    (busy0, total0), (workers0, _) = _cpu_busy(), _workers(master)
    client0, start = time.process_time(), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    (busy1, total1), (workers1, rss) = _cpu_busy(), _workers(master)
    cost = {"client": (time.process_time() - client0) / wall, "workers": (workers1 - workers0) / wall,
            "machine": (busy1 - busy0) / (total1 - total0) if total1 > total0 else math.nan, "rss": rss}
    return [r for rs in results for r in rs], wall, cost


def table(requests: list, wall: float) -> str:
    lines = ["| page | requests | errors | timeouts | median ms | p95 ms | p99 ms | max ms | req/s |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    labels = sorted({label for label, _, _ in requests})
    for label in [*labels, "total"]:
        rows = [r for r in requests if label in ("total", r[0])]
        times = sorted(seconds * 1000 for _, seconds, _ in rows)
        timeouts = sum(outcome == "timeout" for _, _, outcome in rows)
        errors = sum(outcome not in ("ok", "timeout") for _, _, outcome in rows)
        p95, p99 = (times[math.ceil(q * len(times)) - 1] for q in (0.95, 0.99))
        name = f"**{label}**" if label == "total" else f"`{label}`"
        lines.append(f"| {name} | {len(rows):,} | {errors} | {timeouts} | {statistics.median(times):.0f} | "
                     f"{p95:.0f} | {p99:.0f} | {times[-1]:.0f} | {len(rows) / wall:.1f} |")
    return "\n".join(lines)


def main() -> None:
    logging.disable(logging.INFO)  # Alembic's migration log would drown the table
    RESULTS.parent.mkdir(exist_ok=True)
    reuse = os.environ.get("BENCH_LOAD_DATABASE")
    database = nullcontext(reuse.replace("postgresql://", "postgresql+psycopg://")) if reuse else \
        temporary_database("postgresql", SERVER, "procheck-load")
    with database as url:
        secret_key = secrets.token_urlsafe(48)
        app = create_app("development", SQLALCHEMY_DATABASE_URI=url, SCHEDULER_IN_PROCESS=False,
                         SECRET_KEY=secret_key)
        cases = prepare(app)
        clients = sign_in(app)
        try:
            with gunicorn(url, secret_key, RESULTS.with_name("load-gunicorn.log")) as (port, master):
                print(f"{len(clients)} clients for {SECONDS:.0f} s against gunicorn {GUNICORN} on port {port}, "
                      f"{cases:,} cases", flush=True)
                requests, wall, cost = load(port, master, clients)
        finally:
            with app.app_context():
                with unit_of_work():  # end the benchmark's sessions: a kept database keeps no litter
                    for _, token, _, _ in clients:
                        sessions.end(token)
                db.engine.dispose()
    result = table(requests, wall)
    worst = [outcome for _, _, outcome in requests if outcome not in ("ok", "timeout")]
    notes = (f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs shared by clients, gunicorn and PostgreSQL. "
             f"{len(clients)} clients ({sum(c[0] == 'lead' for c in clients)} as the lead) for {wall:.0f} s "
             f"against gunicorn `{GUNICORN}` on PostgreSQL with {cases:,} cases. CPUs used: client "
             f"{cost['client']:.2f}, gunicorn workers {cost['workers']:.2f} "
             f"({cost['workers'] * wall / len(requests) * 1000:.0f} ms per request); the machine was "
             f"{cost['machine']:.0%} busy (other processes included). Worker RSS after the run: "
             f"{', '.join(f'{mb:.0f}' for mb in cost['rss']) or 'n/a'} MB."
             + (f" Errors: {', '.join(sorted(set(worst)))}." if worst else ""))
    RESULTS.write_text(f"# Load benchmark\n\n{notes}\n\n{result}\n", encoding="utf-8")
    print(f"\n{notes}\n\n{result}\n\nWritten to {RESULTS}")


if __name__ == "__main__":
    sys.exit(main())
