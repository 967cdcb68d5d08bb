"""Latency and worker memory of the main pages at 10k and 100k cases (BENCH_SIZES for more), with the bare
SQL beside the caseload, case page and pipeline.

`make bench` runs it on a fresh SQLite database per size; with BENCH_DATABASE_URL set to a
PostgreSQL server (e.g. postgresql://postgres@127.0.0.1:5432/test) it also runs there, in a
database created for the run and dropped afterwards (BENCH_KEEP=1 keeps the seeded databases for the next run;
BENCH_BACKENDS=postgresql runs one backend). The table goes to stdout and to
bench-results/pages.md. "bare" is the page's queries run directly (no HTTP, no rendering), so
page/bare shows what the view, templates and request handling add on top of the database.
"""

import logging
import math
import os
import platform
import resource
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
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
from bench import kept_database, temporary_database

# BENCH_SIZES=10000,100000,1000000 for the national scale (seeding 1M takes minutes).
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "10000,100000").split(","))
# BENCH_KEEP=1 keeps the seeded databases (bench-results/db/, procheck_bench_<n> on the server) for the next run.
KEEP = os.environ.get("BENCH_KEEP") == "1"
RUNS, WARMUPS = 30, 3
RESULTS = Path(__file__).resolve().parent.parent / "bench-results" / "pages.md"


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[math.ceil(0.95 * len(ordered)) - 1] * 1000


def _timed(run: Callable[[int], object]) -> list[float]:
    for i in range(WARMUPS):
        run(i)
    samples = []
    for i in range(RUNS):
        start = time.perf_counter()
        run(WARMUPS + i)
        samples.append(time.perf_counter() - start)
    return samples


# The bare queries of each page, as the views call them (app.cases.queries, app.reports.services).
def _bare_caseload(scout: User) -> Callable[[int], object]:
    from app.cases import queries

    def run(_i: int) -> object:
        return (queries.caseload(scout.id, None, "", 1, 25).items, queries.counts_by_state(scout.id),
                db.session.scalars(select(User).where(User.role.in_(("scout", "lead")), User.active)).all())

    return run


def _bare_case(scout: User, case_ids: list[int]) -> Callable[[int], object]:
    from app.cases import queries, registry, workflow

    def run(i: int) -> object:
        case = db.session.get(Case, case_ids[i % len(case_ids)])
        panels = [panel.items(case) for panel in registry.current().panels]
        return queries.timeline(case.id, 1).items, workflow.options(case, scout), panels

    return run


def _bare_pipeline(_i: int) -> object:
    from app.reports import services

    scouts, towns = services.active_scouts(), services.municipalities()
    return (services.counts_per_state(), services.per_scout(scouts), services.per_municipality(towns),
            services.case_page(services.CaseFilter(), 1).items)


def _bare_times(app: Flask, bare: Callable[[int], object]) -> list[float] | str:
    def run(i: int) -> None:
        with app.test_request_context():  # a fresh session each time, as each request gets
            bare(i)

    try:
        return _timed(run)
    except Exception as exc:  # a page's queries may not exist yet; the page time still counts
        return f"n/a ({type(exc).__name__}: {exc})"


def _measure(app: Flask, backend: str, n: int) -> list[dict]:
    with app.app_context():
        scout = db.session.scalar(select(User).where(User.email == "scout1@example.org"))
        lead = db.session.scalar(select(User).where(User.email == "leitung@example.org"))
        mine = db.session.scalars(select(Case.id).where(Case.owner_id == scout.id).order_by(Case.id)).all()
        case_ids = mine[:: max(1, len(mine) // (RUNS + WARMUPS))]  # spread over old and new cases
        db.session.expunge_all()
    pages = (
        ("/cases", scout, lambda i: "/cases", _bare_caseload(scout)),
        ("/cases/<id>", scout, lambda i: f"/cases/{case_ids[i % len(case_ids)]}", _bare_case(scout, case_ids)),
        ("/pipeline", lead, lambda i: "/pipeline", _bare_pipeline),
        ("/cases?owner=all", lead, lambda i: "/cases?owner=all", None),
        ("/cases?q=Tischler", lead, lambda i: "/cases?owner=all&q=Tischler", None),
        ("/cases scout page 200", scout, lambda i: "/cases?page=200", None),
        ("/today", scout, lambda i: "/today", None),
        ("/outbox", lead, lambda i: "/outbox", None),
        ("/programme", lead, lambda i: "/programme", None),
        ("/review", lead, lambda i: "/review", None),
        ("/funnel", lead, lambda i: "/funnel", None),
        ("/report", lead, lambda i: "/report", None),
    )
    rows = []
    for label, user, url, bare in pages:
        client = app.test_client()
        with app.app_context():
            token = sessions.open_now(user)
        with client.session_transaction() as session:
            session["_user_id"] = token
            session["_fresh"] = True
        probe = client.get(url(0))
        if probe.status_code != 200 or b"<html" not in probe.data:
            print(f"  skipped {label}: it answers {probe.status_code} without a page (not built yet?)", flush=True)
            rows.append({"backend": backend, "page": label, "cases": n, "skipped": probe.status_code})
            continue
        page = _ms(_timed(lambda i, url=url, client=client: client.get(url(i))))
        bare_samples = _bare_times(app, bare) if bare else "not measured"
        bare_ms = _ms(bare_samples)[0] if isinstance(bare_samples, list) else None
        if bare and bare_ms is None:
            print(f"  bare SQL of {label}: {bare_samples}", flush=True)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the worker's peak so far, in MB
        rows.append({"backend": backend, "page": label, "cases": n, "median": page[0], "p95": page[1],
                     "bare": bare_ms, "rss": rss})
        print(f"  {label}: median {page[0]:.1f} ms, p95 {page[1]:.1f} ms, peak RSS {rss:.0f} MB", flush=True)
    return rows




def run_size(backend: str, url: str, n: int) -> list[dict]:
    app = create_app("development", SQLALCHEMY_DATABASE_URI=url, SCHEDULER_IN_PROCESS=False)
    with app.app_context():
        upgrade()
        if db.session.scalar(select(func.count()).select_from(Case)) >= n:  # a kept database, seeded before
            print(f"{backend}, {n:,} cases: kept from an earlier run", flush=True)
        else:
            with unit_of_work():
                seed_reference_data()
            start = time.perf_counter()
            with unit_of_work():
                seed_bulk(n)
            print(f"{backend}, {n:,} cases: seeded in {time.perf_counter() - start:.1f} s", flush=True)
        if backend == "postgresql":  # what autovacuum would soon do after a seed or a backfilling migration:
            # statistics for the planner, and a visibility map so that index-only scans skip the table
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
    try:
        return _measure(app, backend, n)
    finally:
        with app.app_context():
            db.engine.dispose()


def _table(rows: list[dict]) -> str:
    lines = ["| backend | page | cases | median ms | p95 ms | bare median ms | page/bare | peak RSS MB |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        head = f"| {row['backend']} | `{row['page']}` | {row['cases']:,} |"
        if "skipped" in row:
            lines.append(f"{head} skipped (answers {row['skipped']}) | | | |")
            continue
        bare = row["bare"]
        ratio = f"{row['median'] / bare:.1f}" if bare else "n/a"
        bare_text = f"{bare:.1f}" if bare else "n/a"
        lines.append(f"{head} {row['median']:.1f} | {row['p95']:.1f} | {bare_text} | {ratio} | {row['rss']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    logging.disable(logging.INFO)  # Alembic's migration log would drown the table
    backends = [("sqlite", None)]
    if server := os.environ.get("BENCH_DATABASE_URL"):
        backends.append(("postgresql", server))
    if only := os.environ.get("BENCH_BACKENDS"):  # e.g. "postgresql" to run one of them
        backends = [backend for backend in backends if backend[0] in only.split(",")]
    rows = []
    for backend, server in backends:
        for n in SIZES:
            database = (kept_database(backend, server, f"procheck_bench_{n}") if KEEP
                        else temporary_database(backend, server, "procheck-bench"))
            with database as url:
                rows.extend(run_size(backend, url, n))
    table = _table(rows)
    machine = (f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
               f"SQLite {sqlite3.sqlite_version}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        f"# Page benchmark\n\n{time.strftime('%Y-%m-%d %H:%M')} on {machine}. {RUNS} requests per page after "
        f"{WARMUPS} warm-ups, Flask test client signed in; `/cases` and `/cases/<id>` as scout1, `/pipeline` "
        f"as the lead.\n\n{table}\n", encoding="utf-8")
    print(f"\n{table}\n\nWritten to {RESULTS}")


if __name__ == "__main__":
    sys.exit(main())
