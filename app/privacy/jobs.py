"""The scheduled retention run (each batch commits on its own: app.privacy.retention.run)."""

import logging

from app.privacy import retention

log = logging.getLogger(__name__)


def retention_job() -> int:
    count = retention.run()
    if count:
        log.info("retention: %d businesses anonymised", count)
    return count
