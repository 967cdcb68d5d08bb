"""Helpers for the outbox tests, and a dispatcher worker to run as a real subprocess.

    python -m tests.outbox_worker <database-url> <smtp-port> [--batch N] [--lease S] [--wait-for-go]

runs `dispatch_once` until a pass claims nothing and prints its totals as one JSON line; with
--wait-for-go it first prints "ready" and waits for a line on stdin, so several start at once. The
tests start it (twice at once, or kill it with SIGKILL) and then check the database and the
mails their SMTP server received.
"""

import argparse
import json
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def consenting_case(owner, name: str = "Tischlerei Brinkmann", address: str = "info@brinkmann.example.org"):
    """A case whose business has an address and has consented to emails."""
    from app.extensions import db
    from app.timeutil import utcnow
    from tests.factories import make_case

    case = make_case(owner, name=name)
    case.business.email, case.business.email_consent, case.business.consent_at = address, True, utcnow()
    db.session.commit()
    return case


def queue_mail(recipient: str, *, case=None, due_at: datetime | None = None, audience: str | None = None,
               unique_key: str | None = None, subject: str = "Ihre Ergebnisse"):
    """Queue one mail through outbox.queue with prerendered bodies (no dependency on the mail templates).

    dispatch renders only rows whose body_text is empty, so these go out exactly as written here.
    The caller commits.
    """
    from app.scheduling import outbox
    from app.timeutil import utcnow

    key = unique_key or f"test:{uuid.uuid4().hex}"
    row = outbox.queue(recipient=recipient, audience=audience or ("business" if case is not None else "staff"),
                       template_key="test", due_at=due_at or utcnow() - timedelta(minutes=1), unique_key=key,
                       case_id=case.id if case is not None else None,
                       source_state=case.state if case is not None else None)
    if row is not None:
        row.subject = subject
        row.body_text = f"Guten Tag,\n\nTestnachricht {key}.\n"
        row.body_html = f"<p>Guten Tag,</p><p>Testnachricht {key}.</p>"
    return row


def bulk_queue(n: int, *, prefix: str = "bulk", domain: str = "example.org") -> None:
    """Insert n due staff mails with prerendered bodies in one statement (fast), and commit."""
    from email.utils import make_msgid

    from app.extensions import db
    from app.scheduling.models import OutboxMessage
    from app.timeutil import utcnow

    due = utcnow() - timedelta(minutes=5)
    db.session.execute(db.insert(OutboxMessage), [
        {"recipient": f"{prefix}{i}@{domain}", "audience": "staff", "subject": f"Mail {i}",
         "body_text": f"Text {i}\n", "body_html": f"<p>Mail {i}</p>", "template_key": "test", "context": {},
         "due_at": due, "status": "pending", "attempts": 0, "last_error": "",
         "message_id": make_msgid(idstring=f"{prefix}{i}", domain="procheck.test"),
         "unique_key": f"{prefix}:{i}:{uuid.uuid4().hex[:8]}", "created_at": due}
        for i in range(n)
    ])
    db.session.commit()


def worker_env(database_url: str, smtp_port: int, **extra: str) -> dict[str, str]:
    """The environment of a production-like process (`flask procheck …`) against a test database."""
    env = dict(os.environ)
    env.update(PROCHECK_ENV="development", FLASK_APP="wsgi", DATABASE_URL=database_url, SCHEDULER_IN_PROCESS="false",
               MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port), MAIL_USE_TLS="false",
               MAIL_USE_SSL="false", MAIL_USERNAME="", MAIL_TIMEOUT_SECONDS="10", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def start_worker(database_url: str, smtp_port: int, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.outbox_worker", database_url, str(smtp_port), *args],
                            cwd=ROOT, env=worker_env(database_url, smtp_port), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("smtp_port", type=int)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--lease", type=int, default=300)
    parser.add_argument("--wait-for-go", action="store_true", help='print "ready", start on a line from stdin')
    options = parser.parse_args(argv)

    from app import create_app
    from app.scheduling.dispatch import dispatch_once

    app = create_app("test", SQLALCHEMY_DATABASE_URI=options.database_url, MAIL_BACKEND="smtp",
                     MAIL_SERVER="127.0.0.1", MAIL_PORT=options.smtp_port, MAIL_USE_TLS=False, MAIL_USE_SSL=False,
                     MAIL_USERNAME="", MAIL_TIMEOUT_SECONDS=10, OUTBOX_BATCH_SIZE=options.batch,
                     OUTBOX_LEASE_SECONDS=options.lease)
    totals = {"sent": 0, "failed": 0, "retried": 0, "cancelled": 0, "passes": 0}
    with app.app_context():
        from app.extensions import db

        db.session.execute(db.text("SELECT 1"))  # connect before the start signal
        db.session.rollback()
        if options.wait_for_go:
            print("ready", flush=True)
            sys.stdin.readline()
        while True:
            stats = dispatch_once()
            totals["passes"] += 1
            for name in ("sent", "failed", "retried", "cancelled"):
                totals[name] += getattr(stats, name)
            if not (stats.sent or stats.failed or stats.retried or stats.cancelled):
                break
        db.session.remove()
        db.engine.dispose()
    print(json.dumps(totals), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
