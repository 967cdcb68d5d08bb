"""APScheduler only ticks: the jobs read what is due from the database (the source of truth).

In development the scheduler runs inside the web process (once, not again in the reloader's
parent); in production `flask procheck worker` runs it alone and web workers start none.
"""

import logging
import os
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app

from app.scheduling.jobs import JOBS, registry_of

log = logging.getLogger(__name__)

# A late tick (process busy, machine asleep) still runs once instead of being dropped.
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": 3600, "max_instances": 1}


def _in_app_context(app: Flask, job: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        with app.app_context():
            job()

    return run


def all_jobs(app: Flask) -> tuple:
    """The scheduling package's jobs and those the higher packages registered (app.scheduling.jobs.registry_of)."""
    return (*JOBS, *registry_of(app))


def configure(scheduler, app: Flask):
    for job_id, job, trigger in all_jobs(app):
        scheduler.add_job(_in_app_context(app, job), id=job_id, replace_existing=True, **trigger)
    return scheduler


def start_in_process(app: Flask) -> BackgroundScheduler | None:
    """Start the scheduler in this web process, unless this is the reloader's watching parent."""
    if app.debug and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return None
    scheduler = configure(BackgroundScheduler(job_defaults=JOB_DEFAULTS, timezone="Europe/Berlin"), app)
    scheduler.start()
    log.info("scheduler started in the web process with %d jobs", len(all_jobs(app)))
    return scheduler


def run_worker() -> None:
    """Run the scheduler in the foreground (the production worker process)."""
    app = current_app._get_current_object()
    scheduler = configure(BlockingScheduler(job_defaults=JOB_DEFAULTS, timezone="Europe/Berlin"), app)
    log.info("scheduler worker running %d jobs", len(all_jobs(app)))
    scheduler.start()
