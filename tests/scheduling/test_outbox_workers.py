"""Real worker processes against the test databases and a real SMTP server on loopback.

- A worker killed with SIGKILL in the middle of a batch: after its lease runs out a restarted worker
  sends the rest; nothing is lost and at most the one mail in flight arrives twice.
- Two workers started together over 1,000 due mails (PostgreSQL; 300 on SQLite): each is sent exactly once.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import select

from app.extensions import db
from app.scheduling.dispatch import dispatch_once
from app.scheduling.models import OutboxMessage
from app.timeutil import utcnow
from tests.outbox_worker import ROOT, bulk_queue, queue_mail, start_worker, worker_env

pytestmark = pytest.mark.postgres  # claiming by concurrent worker processes (FOR UPDATE SKIP LOCKED), leases


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def flask_dispatch_once(app, port: int, **env: str) -> subprocess.Popen:
    """`flask procheck dispatch --once` as production runs it, configured from the environment."""
    return subprocess.Popen([sys.executable, "-m", "flask", "procheck", "dispatch", "--once"], cwd=ROOT,
                            env=worker_env(app.config["SQLALCHEMY_DATABASE_URI"], port, **env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_worker_killed_mid_batch_loses_nothing_and_resends_at_most_the_one_in_flight(app, smtp_server):
    queued = [queue_mail(f"empfaenger{i}@example.org") for i in range(12)]
    db.session.commit()
    smtp_server.handler.delay = 0.25  # a slow server: the batch takes seconds
    lease = {"OUTBOX_LEASE_SECONDS": "4", "OUTBOX_BATCH_SIZE": "50"}  # outlasts the kill on a busy machine

    worker = flask_dispatch_once(app, smtp_server.port, **lease)
    try:
        wait_for(lambda: len(smtp_server.messages) >= 4 or worker.poll() is not None, 30, "4 mails to arrive")
        assert worker.poll() is None, worker.communicate()
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.kill()
        worker.communicate()
    assert worker.returncode == -signal.SIGKILL
    time.sleep(smtp_server.handler.delay + 0.3)  # the server finishes the message it was reading

    at_kill = {row.id: row.status for row in rows()}
    received = Counter(m["Message-ID"] for m in smtp_server.messages)
    sent_before = [row for row in queued if at_kill[row.id] == "sent"]
    in_flight = [row for row in queued if at_kill[row.id] == "sending"]
    assert len(sent_before) + len(in_flight) == len(queued)  # the dead worker had claimed the whole batch
    assert in_flight, "the worker finished before it was killed"
    assert all(received[row.message_id] == 1 for row in sent_before)
    assert len(received) - len(sent_before) <= 1  # accepted by the server, not yet recorded as sent

    # Another worker (here: this process) leaves the dead worker's rows alone while their lease runs.
    assert str(dispatch_once()) == "sent 0, failed 0, retried 0, cancelled 0"
    leases = [row.lease_until for row in rows() if row.status == "sending"]
    wait_for(lambda: utcnow() > max(leases), 10, "the lease to run out")

    smtp_server.handler.delay = 0
    restart = flask_dispatch_once(app, smtp_server.port, **lease)
    out, err = restart.communicate(timeout=60)
    assert restart.returncode == 0, err
    assert f"sent {len(in_flight)}, failed 0, retried 0" in out

    final = {row.id: row for row in rows()}
    assert {row.status for row in final.values()} == {"sent"}
    assert all(final[row.id].attempts == 2 for row in in_flight)
    received = Counter(m["Message-ID"] for m in smtp_server.messages)
    assert set(received) == {row.message_id for row in queued}  # nothing lost
    twice = [mid for mid, count in received.items() if count > 1]
    assert len(twice) <= 1 and max(received.values()) <= 2
    assert set(twice) <= {row.message_id for row in in_flight}


def test_two_workers_over_1000_due_mails_send_each_exactly_once(app, smtp_server):
    # PostgreSQL (FOR UPDATE SKIP LOCKED) over the 1,000 mails of the issue; SQLite (BEGIN IMMEDIATE, one writer
    # at a time) over fewer, to keep the run short.
    count = 1000 if db.engine.dialect.name == "postgresql" else 300
    bulk_queue(count)
    url = app.config["SQLALCHEMY_DATABASE_URI"]

    workers = [start_worker(url, smtp_server.port, "--batch", "25", "--wait-for-go") for _ in range(2)]
    for worker in workers:  # both connected to the database and waiting
        assert worker.stdout.readline().strip() == "ready", worker.communicate()
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=90)
        assert worker.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))

    assert sum(r["sent"] for r in results) == count
    assert all(r["sent"] > 0 for r in results), results  # both really worked on the same outbox
    assert all(r["failed"] == r["retried"] == r["cancelled"] == 0 for r in results)
    final = rows()
    assert len(final) == count and {(row.status, row.attempts) for row in final} == {("sent", 1)}
    received = Counter(m["Message-ID"] for m in smtp_server.messages)
    assert len(smtp_server.messages) == count and len(received) == count  # no duplicates
    assert set(received) == {row.message_id for row in final}
