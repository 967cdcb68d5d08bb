"""The worker of queued hand-overs (app.reports.offboarding queues them): a scheduler job claims a job row with a
lease and moves its cases a batch per commit; the same commit advances the job's progress and resume point.

A worker that dies leaves the job `running` with a lease that runs out; the next tick of any worker claims it and
resumes after the last committed batch, so no case is moved twice or missed. Every batch first renews the lease
with an UPDATE that only its holder can make: that row lock keeps a second worker out until the batch commits,
and a worker whose lease was taken over stops.
"""

import logging
import uuid
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update

from app.auth import services as auth_services
from app.auth.models import User
from app.cases import services as case_services
from app.errors import DomainError
from app.extensions import db
from app.reports import offboarding
from app.reports.handover_models import HandoverJob, JobStatus
from app.reports.services import CaseFilter
from app.timeutil import utcnow
from app.transactions import unit_of_work

TECHNICAL_ERROR = _l("The hand-over stopped because of a technical error. Please start it again for the remaining "
                     "cases.")
LEASE = timedelta(minutes=2)  # a batch takes well under a second; a lease this old lost its worker
log = logging.getLogger(__name__)


def _claimable(now):
    return or_(HandoverJob.status == JobStatus.QUEUED,
               and_(HandoverJob.status == JobStatus.RUNNING, HandoverJob.lease_until < now))


def claim(worker: str) -> int | None:
    """Take the oldest queued job, or a running one whose lease ran out (an atomic UPDATE: one worker gets it)."""
    with unit_of_work():
        now = utcnow()
        job_id = db.session.scalar(select(HandoverJob.id).where(_claimable(now)).order_by(HandoverJob.id).limit(1))
        if job_id is None:
            return None
        taken = db.session.execute(
            update(HandoverJob).where(HandoverJob.id == job_id, _claimable(now))
            .values(status=JobStatus.RUNNING, lease_token=worker, lease_until=now + LEASE,
                    started_at=func.coalesce(HandoverJob.started_at, now))
            .execution_options(synchronize_session=False))
    return job_id if taken.rowcount == 1 else None


def work_batch(job_id: int, worker: str) -> bool:
    """Move the job's next batch in one transaction with its progress; False once it is done or no longer ours."""
    with unit_of_work():
        now = utcnow()
        ours = db.session.execute(
            update(HandoverJob).where(HandoverJob.id == job_id, HandoverJob.lease_token == worker,
                                      HandoverJob.status == JobStatus.RUNNING)
            .values(lease_until=now + LEASE).execution_options(synchronize_session=False))
        if ours.rowcount != 1:
            return False
        job = db.session.get(HandoverJob, job_id, populate_existing=True)
        new_owner = offboarding.take_over(job.to_owner_id)  # still an active scout, else the job fails
        actor = db.session.get(User, job.created_by_id)
        filters = CaseFilter(owner_id=job.from_owner_id, state=job.state, municipality_id=job.municipality_id)
        batch = offboarding.next_batch(offboarding.matching_ids(filters), job.after_id)
        if not batch and job.disables_owner and job.after_id:
            # Cases given to the leaving account behind the resume point meanwhile: one more sweep from the start
            # (moved cases no longer match the owner), so the account is never disabled while it owns a case.
            batch = offboarding.next_batch(offboarding.matching_ids(filters), 0)
        if not batch:
            if job.disables_owner:
                offboarding.close_account(db.session.get(User, job.from_owner_id), new_owner, actor)
            job.status, job.finished_at, job.total = JobStatus.DONE, now, job.done
            job.lease_token = job.lease_until = None
            return False
        job.moved += case_services.reassign_in_bulk(batch, new_owner, actor)
        job.done, job.after_id = job.done + len(batch), batch[-1]
        job.total = max(job.total, job.done)  # cases added to the filter since it was queued
    return True


def work(job_id: int, worker: str) -> None:
    """Work a claimed job to its end; a failure is kept on the job (what was committed before it stays)."""
    try:
        while work_batch(job_id, worker):
            pass
    except Exception as error:  # the job row shows the failure to the lead, the log its trace
        log.exception("hand-over job %s failed", job_id)
        # The lead reads a domain refusal as it is; anything else (SQL, driver text) stays in the log.
        message = str(error.message) if isinstance(error, DomainError) else str(TECHNICAL_ERROR)
        with unit_of_work():
            failed = db.session.execute(
                update(HandoverJob).where(HandoverJob.id == job_id, HandoverJob.lease_token == worker)
                .values(status=JobStatus.FAILED, error=message[:2000], finished_at=utcnow(), lease_token=None,
                        lease_until=None).execution_options(synchronize_session=False))
            job = db.session.get(HandoverJob, job_id)
            if failed.rowcount == 1 and job.disables_owner:  # the account stays: it may take work (or a new try)
                auth_services.set_leaving(job.from_owner_id, False)


def handover_job() -> int:
    """The scheduler's tick: work every claimable job; returns how many were claimed."""
    worker, claimed = uuid.uuid4().hex, 0
    while (job_id := claim(worker)) is not None:
        claimed += 1
        work(job_id, worker)
    return claimed
