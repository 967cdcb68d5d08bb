"""The periodic jobs; each reads what is due from the database."""

import logging

from app.scheduling import outbox
from app.scheduling.dispatch import dispatch_once
from app.scheduling.runner import JOBS

log = logging.getLogger(__name__)


def dispatch_job() -> None:
    stats = dispatch_once()
    if stats.sent or stats.failed or stats.retried or stats.cancelled:
        log.info("outbox: %s", stats)


def recover_leases_job() -> None:
    if count := outbox.recover_expired_leases():
        log.warning("outbox: %d rows whose lease ran out went back to pending", count)


JOBS.extend([
    ("dispatch", dispatch_job, {"trigger": "interval", "seconds": 60}),
    ("recover-leases", recover_leases_job, {"trigger": "interval", "minutes": 5}),
])
