"""The public request page: a business asks for the free check, confirms by double opt-in, and a case opens."""

import logging

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.auth import throttle
from app.cases import registry
from app.cases.vocab import EventKind
from app.scheduling import jobs
from app.transactions import unit_of_work

log = logging.getLogger(__name__)


def cleanup_job() -> int:
    """Delete the requests nobody confirmed in time (data minimisation) and the spent throttle counters."""
    from app.intake.services import delete_expired

    with unit_of_work():
        count = delete_expired()
        throttle.prune()
    if count:
        log.info("intake: %d unconfirmed requests deleted", count)
    return count


def init_app(app: Flask) -> None:
    from app.intake import assignment_views, mails, views

    registry.of(app).event_labels[EventKind.CHECK_REQUESTED] = _l("Check requested online")
    mails.init_app(app)
    jobs.add_job(app, "intake-cleanup", cleanup_job, {"trigger": "interval", "minutes": 60})
    app.register_blueprint(views.bp)
    app.register_blueprint(assignment_views.bp)
