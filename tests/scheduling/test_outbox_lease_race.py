"""Two dispatchers and a lease shorter than a batch: every mail arrives exactly once.

Before the lease token, the second dispatcher recovered the first one's expired leases and sent them
again while the first kept sending from memory (71 of 305 mails twice on PostgreSQL).
"""

import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.scheduling import outbox
from app.scheduling.models import OutboxMessage
from app.timeutil import utcnow
from tests.outbox_worker import ROOT, queue_mail, worker_env

pytestmark = pytest.mark.postgres


def _dispatcher(app, port: int) -> subprocess.Popen:
    env = worker_env(app.config["SQLALCHEMY_DATABASE_URI"], port, OUTBOX_LEASE_SECONDS="1",
                     OUTBOX_BATCH_SIZE="100")
    return subprocess.Popen([sys.executable, "-m", "flask", "procheck", "dispatch", "--once"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_slow_batch_outliving_its_lease_is_not_sent_twice_by_a_second_dispatcher(app, smtp_server):
    queued = [queue_mail(f"empfaenger{i}@example.org") for i in range(30)]
    db.session.commit()
    smtp_server.handler.delay = 0.1  # about 3 s for the batch, three times the lease
    first = _dispatcher(app, smtp_server.port)
    time.sleep(2.0)  # the first lease would have run out twice by now
    second = _dispatcher(app, smtp_server.port)
    outputs = [process.communicate(timeout=120) for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs

    received = Counter(message["Message-ID"] for message in smtp_server.messages)
    assert sum(received.values()) == len(queued) and set(received.values()) == {1}
    db.session.expire_all()
    statuses = Counter(db.session.scalars(select(OutboxMessage.status)))
    assert statuses == Counter({"sent": len(queued)})


def test_results_of_a_lost_lease_are_not_recorded(app):
    row = queue_mail("empfaenger@example.org")
    db.session.commit()
    stale, fresh = outbox.new_token(), outbox.new_token()
    assert outbox.claim(10, lease_seconds=60, token=stale) == [row.id]
    # The holder stalls past its lease; another dispatcher recovers the row and claims it.
    assert outbox.recover_expired_leases(now=utcnow() + timedelta(minutes=2)) == 1
    assert outbox.claim(10, lease_seconds=60, token=fresh) == [row.id]
    db.session.expire_all()
    row = db.session.get(OutboxMessage, row.id)
    with db.engine.connect() as results:
        assert outbox.renew(results, [row.id], stale, 60) == set()
        assert outbox.record_sent(results, row, stale) is False
    assert outbox.mark_retry(row, stale, "temporary") is None and outbox.mark_failed(row, stale, "x") is False
    db.session.commit()
    db.session.expire_all()
    held = db.session.get(OutboxMessage, row.id)
    assert (held.status, held.lease_token, held.sent_at) == ("sending", fresh, None)
