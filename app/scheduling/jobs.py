"""The periodic jobs; each reads what is due from the database."""

import logging
from collections.abc import Callable
from datetime import datetime

from flask import Flask

from app.scheduling import outbox
from app.scheduling.calendar import is_business_day
from app.scheduling.digest import queue_digests
from app.scheduling.dispatch import dispatch_once
from app.timeutil import today_berlin, utcnow
from app.transactions import unit_of_work

log = logging.getLogger(__name__)


def dispatch_job() -> None:
    stats = dispatch_once()
    if stats.sent or stats.failed or stats.retried or stats.cancelled:
        log.info("outbox: %s", stats)


def recover_leases_job() -> None:
    if count := outbox.recover_expired_leases():
        log.warning("outbox: %d rows whose lease ran out went back to pending", count)


def digest_job(now: datetime | None = None) -> int:
    """Queue the morning digests, except on public holidays (the trigger already skips weekends)."""
    now = now or utcnow()
    if not is_business_day(today_berlin(now)):
        return 0
    with unit_of_work():
        count = queue_digests(now)
    log.info("digest: %d morning digests queued", count)
    return count


# (job id, function, trigger arguments): what the scheduler runs, each in an app context.
JOBS = (
    ("dispatch", dispatch_job, {"trigger": "interval", "seconds": 60}),
    ("recover-leases", recover_leases_job, {"trigger": "interval", "minutes": 5}),
    ("digest", digest_job, {"trigger": "cron", "day_of_week": "mon-fri", "hour": 7, "minute": 0,
                            "timezone": "Europe/Berlin"}),
)

Job = tuple[str, Callable[[], object], dict]
KEY = "procheck.jobs"


def registry_of(app: Flask) -> list[Job]:
    """The jobs of the packages above scheduling, added in their init_app (the scheduler runs them with JOBS)."""
    return app.extensions.setdefault(KEY, [])
