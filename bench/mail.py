"""Mail throughput: 10,000 due mails delivered by the real dispatcher, beside a bare smtplib loop.

`make bench` runs it on a fresh SQLite database; with BENCH_DATABASE_URL set to a PostgreSQL server
(e.g. postgresql://postgres@127.0.0.1:5432/test) also there, in a database created for the run and
dropped afterwards. The SMTP server is aiosmtpd on loopback in its own process (so it does not share
the interpreter lock with the sender); it only counts what arrives and keeps the Message-IDs.

- "dispatcher": `dispatch_once()` in a loop (OUTBOX_BATCH_SIZE 500) until nothing is due: claim,
  consent check, one SMTP connection per batch, one commit per mail. The rows have prerendered
  bodies, so no template rendering is measured.
- "bare": a plain smtplib loop over one connection that builds each of the same 10,000 messages
  with `mails.build` and sends it with `send_message`; no database at all. This is the floor for
  sending these mails, so dispatcher/bare is what the outbox (claim, lease, consent check, one
  commit per mail) costs on top.
- "send prebuilt": the same loop over messages built beforehand, timing only the sending; shown
  beside it, as it isolates the SMTP conversation and the serialisation of the message.

The target is dispatcher/bare of at least 0.5. The table goes to stdout and is appended to
bench-results/mail.md.
"""

import gc
import logging
import multiprocessing
import os
import platform
import re
import smtplib
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from email.utils import make_msgid
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, insert, select

from app import create_app
from app.extensions import db
from app.scheduling import mails
from app.scheduling.dispatch import dispatch_once
from app.scheduling.models import OutboxMessage
from app.timeutil import utcnow
from app.transactions import unit_of_work
from bench import temporary_database

MAILS = 10_000
BATCH = 500
TARGET = 0.5
RESULTS = Path(__file__).resolve().parent.parent / "bench-results" / "mail.md"
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


# -- the SMTP server, in its own process ------------------------------------------------------------------------

class _Counter:
    def __init__(self) -> None:
        self.ids: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        found = _MESSAGE_ID.search(envelope.content)
        self.ids.append(found.group(1) if found else b"")
        return "250 Message accepted for delivery"


def _serve(port: int, conn) -> None:
    from aiosmtpd.controller import Controller

    handler = _Counter()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    conn.send("ready")
    while (command := conn.recv()) != "stop":
        if command == "take":  # the Message-IDs received since the last "take"
            ids, handler.ids = handler.ids, []
            conn.send([i.decode() for i in ids])
    controller.stop()


@contextmanager
def smtp_server() -> Iterator[tuple[int, object]]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(target=_serve, args=(port, theirs), daemon=True)
    process.start()
    assert ours.recv() == "ready"
    try:
        yield port, ours
    finally:
        ours.send("stop")
        process.join(10)


def _take(conn) -> list[str]:
    conn.send("take")
    return conn.recv()


# -- the database ----------------------------------------------------------------------------------------------



def _queue(n: int) -> None:
    """n due staff mails with prerendered bodies, as the digest job writes them."""
    due = utcnow() - timedelta(minutes=5)
    body = "Guten Morgen,\n\nheute fällig: 3 Wiedervorlagen.\n\n" + "- Tischlerei Brinkmann: Termin vereinbaren\n" * 8
    html = "<p>Guten Morgen,</p><ul>" + "<li>Tischlerei Brinkmann: Termin vereinbaren</li>" * 8 + "</ul>"
    for start in range(0, n, 2000):
        db.session.execute(insert(OutboxMessage), [
            {"recipient": f"scout{i}@example.org", "audience": "staff", "subject": f"Ihre Wiedervorlagen ({i})",
             "body_text": body, "body_html": html, "template_key": "digest", "context": {}, "due_at": due,
             "status": "pending", "attempts": 0, "last_error": "", "created_at": due,
             "message_id": make_msgid(idstring=f"bench{i}", domain="procheck.example.org"),
             "unique_key": f"bench:{i}"}
            for i in range(start, min(n, start + 2000))
        ])


# -- the runs --------------------------------------------------------------------------------------------------

def _bare(port: int) -> tuple[float, float, list[str]]:
    """The bare loops over one connection: build each message and send it; then the prebuilt messages again."""
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as connection:
        for row in rows:
            connection.send_message(mails.build(row))
    build_and_send = time.perf_counter() - start

    messages = [mails.build(row) for row in rows]
    db.session.rollback()
    gc.collect()
    gc.freeze()  # 10,000 messages held at once: keep the collector from scanning them again and again
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as connection:
        for message in messages:
            connection.send_message(message)
    send_only = time.perf_counter() - start
    ids = [m["Message-ID"] for m in messages]
    del messages
    gc.unfreeze()
    return build_and_send, send_only, ids


def _dispatcher() -> tuple[float, int]:
    start = time.perf_counter()
    passes = 0
    while True:
        stats = dispatch_once()
        passes += 1
        if not stats.sent:
            break
        if stats.failed or stats.retried or stats.cancelled:
            raise RuntimeError(f"the dispatcher did not send everything: {stats}")
    return time.perf_counter() - start, passes


def run(backend: str, url: str) -> dict:
    with smtp_server() as (port, conn):
        app = create_app("development", SQLALCHEMY_DATABASE_URI=url, SCHEDULER_IN_PROCESS=False, MAIL_BACKEND="smtp",
                         MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_USE_SSL=False,
                         MAIL_USERNAME="", OUTBOX_BATCH_SIZE=BATCH)
        with app.app_context():
            upgrade()
            with unit_of_work():
                _queue(MAILS)
            bare, send_only, expected = _bare(port)
            received = _take(conn)
            assert sorted(received) == sorted(expected * 2), "the bare loops lost mails"
            print(f"{backend}: bare smtplib {MAILS / bare:,.0f} mails/s building each message, "
                  f"{MAILS / send_only:,.0f} mails/s sending prebuilt ones", flush=True)

            seconds, passes = _dispatcher()
            received = _take(conn)
            sent = db.session.scalar(select(func.count()).where(OutboxMessage.status == "sent"))
            assert sent == MAILS, f"{sent} of {MAILS} rows sent"
            assert len(received) == MAILS and sorted(received) == sorted(expected), "dispatcher lost or doubled mails"
            print(f"{backend}: dispatcher {MAILS / seconds:,.0f} mails/s in {passes} passes", flush=True)
            db.session.remove()
            db.engine.dispose()
    return {"backend": backend, "bare": MAILS / bare, "send_only": MAILS / send_only, "dispatcher": MAILS / seconds}


def _table(rows: list[dict]) -> str:
    lines = ["| backend | mails | bare: build + send, mails/s | bare: send prebuilt, mails/s | dispatcher, mails/s "
             "| dispatcher / bare | dispatcher / send prebuilt | target (dispatcher / bare ≥ 0.5) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for row in rows:
        ratio = row["dispatcher"] / row["bare"]
        lines.append(f"| {row['backend']} | {MAILS:,} | {row['bare']:,.0f} | {row['send_only']:,.0f} | "
                     f"{row['dispatcher']:,.0f} | {ratio:.2f} | {row['dispatcher'] / row['send_only']:.2f} | "
                     f"{'met' if ratio >= TARGET else 'MISSED'} |")
    return "\n".join(lines)


def main() -> int:
    logging.disable(logging.WARNING)  # Alembic's migration log would drown the table
    backends = [("sqlite", None)]
    if server := os.environ.get("BENCH_DATABASE_URL"):
        backends.append(("postgresql", server))
    rows = []
    for backend, server in backends:
        with temporary_database(backend, server, "procheck-bench-mail") as url:
            rows.append(run(backend, url))
    table = _table(rows)
    machine = (f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
               f"SQLite {sqlite3.sqlite_version}")
    RESULTS.parent.mkdir(exist_ok=True)
    new = not RESULTS.exists()
    with RESULTS.open("a", encoding="utf-8") as out:
        if new:
            out.write("# Mail benchmark\n\n10,000 due mails (prerendered) to aiosmtpd on loopback in its own process. "
                      f"Dispatcher: `dispatch_once()` in a loop, batch {BATCH}, one SMTP connection per batch, one "
                      "commit per mail. Bare: the same messages built with `mails.build` and sent over one smtplib "
                      "connection, no database; \"send prebuilt\" builds them all first and times only the "
                      "sending.\n")
        out.write(f"\n## {time.strftime('%Y-%m-%d %H:%M')} on {machine}\n\n{table}\n")
    print(f"\n{table}\n\nAppended to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
