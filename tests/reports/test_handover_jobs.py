"""A hand-over above HANDOVER_INLINE_MAX is queued and worked by the scheduler's worker a batch per commit, with
its progress on a page; a worker that dies is replaced without a case moved twice or lost."""

import threading

import pytest
from sqlalchemy import func, select, update

from app.auth.models import User
from app.cases import readmodel
from app.cases.models import Case, CaseEvent
from app.extensions import db
from app.reports import handover_worker, milestones, offboarding
from app.reports.handover_models import HandoverJob
from app.reports.services import CaseFilter
from app.scheduling import outbox, reminders
from app.scheduling.models import OutboxMessage, Reminder
from app.timeutil import today_berlin, utcnow
from app.transactions import unit_of_work
from tests.factories import bring_to, make_case

CASES = 10


@pytest.fixture
def small_threshold(app, monkeypatch):
    """More than 3 cases are queued; the worker moves 4 a batch (so 10 cases take three batches)."""
    monkeypatch.setitem(app.config, "HANDOVER_INLINE_MAX", 3)
    monkeypatch.setattr(offboarding, "BATCH", 4)


def _owned(user) -> set[int]:
    return set(db.session.scalars(select(Case.id).where(Case.owner_id == user.id)))


def _handed_over(case_ids) -> dict[int, list[dict]]:
    """Each case's reassigned entries (from and to owner)."""
    found: dict[int, list[dict]] = {case_id: [] for case_id in case_ids}
    for case_id, data in db.session.execute(select(CaseEvent.case_id, CaseEvent.data)
                                            .where(CaseEvent.kind == "reassigned")):
        found.setdefault(case_id, []).append(data)
    return found


def _assert_read_models_match_a_rebuild() -> None:
    """The counts and the funnel the hooks moved are those the base tables give."""
    counts = readmodel.snapshot()
    assert counts == {(o, m, g, s): n for o, m, g, s, n in db.session.execute(readmodel.from_base_tables())}
    cells, rows = milestones.snapshot(), milestones.milestone_rows()
    with unit_of_work():
        milestones.rebuild()
    assert milestones.snapshot() == cells and milestones.milestone_rows() == rows


def _job() -> HandoverJob:
    return db.session.scalars(select(HandoverJob)).one()


def test_below_the_threshold_the_offboarding_stays_in_the_request(client, login, users, small_threshold):
    scout, scout2 = users["scout"], users["scout2"]
    cases = {make_case(scout, f"Betrieb {i}").id for i in range(3)}
    login("admin")
    response = client.post(f"/admin/users/{scout.id}/handover", data={"new_owner": str(scout2.id)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users")
    assert db.session.scalar(select(func.count()).select_from(HandoverJob)) == 0
    assert _owned(scout) == set() and cases <= _owned(scout2) and not db.session.get(User, scout.id).active


@pytest.mark.postgres
def test_above_the_threshold_the_offboarding_is_queued_then_the_worker_moves_all_and_disables(
        client, login, users, small_threshold):
    scout, scout2 = users["scout"], users["scout2"]
    cases = [make_case(scout, f"Betrieb {i}") for i in range(CASES)]
    bring_to(cases[0], "check_done", scout)
    ids = {case.id for case in cases}
    with unit_of_work():
        open_reminder = reminders.create(cases[1], scout.id, utcnow(), "Termin vereinbaren")
        day = today_berlin().isoformat()
        outbox.queue(recipient=scout.email, audience="staff", template_key="digest", due_at=utcnow(),
                     unique_key=f"digest:{scout.id}:{day}", context={"user_id": scout.id, "date": day})
    login("admin")

    response = client.post(f"/admin/users/{scout.id}/handover", data={"new_owner": str(scout2.id)})
    job = _job()
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/handovers/{job.id}")
    page = client.get(f"/handovers/{job.id}").get_data(as_text=True)
    assert "Die Übergabe wartet auf den Start" in page and "0 von 10 Fällen übergeben" in page
    assert 'src="/static/progress.js"' in page
    # Nothing moved yet, the account stays active until its cases are handed over.
    assert _owned(scout) == ids and db.session.get(User, scout.id).active

    # A second hand-over of the same account's cases is refused while this one is unfinished.
    again = client.post(f"/admin/users/{scout.id}/handover", data={"new_owner": str(scout2.id)})
    assert again.status_code == 409
    assert "Die Fälle von Sina Scout werden bereits übergeben" in again.get_data(as_text=True)
    assert "Fortschritt anzeigen" in client.get(f"/admin/users/{scout.id}/handover").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(HandoverJob)) == 1

    assert handover_worker.handover_job() == 1

    page = client.get(f"/handovers/{job.id}").get_data(as_text=True)
    assert "Die Übergabe ist abgeschlossen" in page and "10 von 10 Fällen übergeben" in page
    assert "10 Fälle von Sina Scout wurden an Sven Scout übergeben; das Konto ist deaktiviert." in page
    assert client.get(f"/handovers/{job.id}/progress").get_json() == {"status": "done", "processed": 10,
                                                                       "total": 10}
    assert _owned(scout) == set() and ids <= _owned(scout2)
    assert not db.session.get(User, scout.id).active
    assert db.session.get(Reminder, open_reminder.id).assignee_id == scout2.id
    assert db.session.scalar(select(OutboxMessage.status).where(
        OutboxMessage.unique_key == f"digest:{scout2.id}:{day}")) == "pending"
    # As an inline hand-over: one entry per case, from the old owner to the new, by the admin; read models follow.
    assert _handed_over(ids) == {case_id: [{"from_owner": scout.id, "to_owner": scout2.id}] for case_id in ids}
    assert set(db.session.scalars(select(CaseEvent.actor_id).where(CaseEvent.kind == "reassigned"))) == \
        {users["admin"].id}
    assert readmodel.total(owner_id=scout.id) == 0 and readmodel.total(owner_id=scout2.id) == CASES
    _assert_read_models_match_a_rebuild()


def test_the_lead_watches_a_queued_filter_hand_over_progress_and_sees_the_result(
        client, login, users, small_threshold):
    scout, scout2 = users["scout"], users["scout2"]
    ids = {make_case(scout, f"Kontakt {i}").id for i in range(CASES)}
    login("lead")
    url = f"/pipeline/reassign-matching?owner={scout.id}&state=contacted"
    response = client.post(url, data={"new_owner": str(scout2.id), "confirmed": "y"})
    job = _job()
    assert response.headers["Location"].endswith(f"/handovers/{job.id}")
    refused = client.post(url, data={"new_owner": str(scout2.id), "confirmed": "y"})
    assert "Die Fälle von Sina Scout werden bereits übergeben" in client.get(
        refused.headers["Location"]).get_data(as_text=True)

    worker = "worker-a"
    assert handover_worker.claim(worker) == job.id
    assert handover_worker.work_batch(job.id, worker)
    assert client.get(f"/handovers/{job.id}/progress").get_json() == {"status": "running", "processed": 4,
                                                                       "total": 10}
    page = client.get(f"/handovers/{job.id}").get_data(as_text=True)
    assert "Die Übergabe läuft" in page and "4 von 10 Fällen übergeben" in page
    assert '<meta http-equiv="refresh" content="3">' in page  # without JavaScript the page reloads itself

    handover_worker.work(job.id, worker)
    page = client.get(f"/handovers/{job.id}").get_data(as_text=True)
    assert "10 Fälle wurden an Sven Scout übergeben." in page and "refresh" not in page
    assert _owned(scout2) == ids and db.session.get(User, scout.id).active  # a filter disables nobody
    _assert_read_models_match_a_rebuild()


@pytest.mark.postgres
def test_a_worker_killed_mid_job_is_replaced_and_no_case_is_moved_twice_or_lost(app, users, small_threshold):
    scout, scout2 = users["scout"], users["scout2"]
    ids = {make_case(scout, f"Betrieb {i}").id for i in range(CASES)}
    with unit_of_work():
        job = offboarding.start_matching(CaseFilter(owner_id=scout.id), scout2.id, users["lead"]).job
    job_id = job.id

    assert handover_worker.claim("dies") == job_id
    assert handover_worker.work_batch(job_id, "dies")  # one batch committed, then the process is killed
    assert handover_worker.claim("other") is None  # its lease still holds
    with unit_of_work():
        db.session.execute(update(HandoverJob).values(lease_until=utcnow()))  # the lease runs out

    assert handover_worker.handover_job() == 1
    assert not handover_worker.work_batch(job_id, "dies")  # the old worker, back, finds its lease gone

    job = db.session.get(HandoverJob, job_id)
    assert (job.status, job.done, job.moved, job.total) == ("done", CASES, CASES, CASES)
    assert _handed_over(ids) == {case_id: [{"from_owner": scout.id, "to_owner": scout2.id}] for case_id in ids}
    assert _owned(scout2) == ids
    _assert_read_models_match_a_rebuild()


def test_a_failing_job_keeps_its_message_and_a_new_hand_over_moves_the_rest(app, users, small_threshold):
    scout, scout2 = users["scout"], users["scout2"]
    ids = {make_case(scout, f"Betrieb {i}").id for i in range(CASES)}
    with unit_of_work():
        job_id = offboarding.start_matching(CaseFilter(owner_id=scout.id), scout2.id,
                                            users["lead"]).job.id
    handover_worker.claim("w")
    handover_worker.work_batch(job_id, "w")
    with unit_of_work():
        db.session.get(User, scout2.id).active = False  # the scout taking over leaves meanwhile
    handover_worker.work(job_id, "w")
    job = db.session.get(HandoverJob, job_id)
    assert job.status == "failed" and "aktiven Scout" in job.error and len(_owned(scout2)) == 4

    with unit_of_work():
        db.session.get(User, scout2.id).active = True
        offboarding.start_matching(CaseFilter(owner_id=scout.id), scout2.id, users["lead"])
    assert handover_worker.handover_job() == 1
    assert _owned(scout2) == ids and all(len(entries) == 1 for entries in _handed_over(ids).values())


@pytest.mark.postgres
def test_two_workers_at_once_never_work_the_same_job(app, users, small_threshold, backend):
    if backend != "postgresql":
        pytest.skip("SQLite runs one writer at a time: the race needs PostgreSQL")
    scout, scout2 = users["scout"], users["scout2"]
    ids = {make_case(scout, f"Betrieb {i}").id for i in range(CASES)}
    with unit_of_work():
        offboarding.start_matching(CaseFilter(owner_id=scout.id), scout2.id, users["lead"])
    moved = {case_id: [{"from_owner": scout.id, "to_owner": scout2.id}] for case_id in ids}
    db.session.remove()
    start = threading.Barrier(2)
    claimed: list[int] = []

    def worker() -> None:
        with app.app_context():
            try:
                start.wait()
                claimed.append(handover_worker.handover_job())
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(claimed) == [0, 1]
    assert _handed_over(ids) == moved
    assert _job().done == CASES


def test_a_case_given_to_the_leaving_account_behind_the_resume_point_is_handed_over_before_it_is_disabled(
        app, users, small_threshold):
    scout, scout2 = users["scout"], users["scout2"]
    ids = {make_case(scout, f"Betrieb {i}").id for i in range(CASES)}
    with unit_of_work():
        job_id = offboarding.start_offboarding(scout, scout2.id, users["admin"]).job.id
    assert handover_worker.claim("w") == job_id
    assert handover_worker.work_batch(job_id, "w")  # the first four cases are handed over
    first = min(ids)
    with unit_of_work():  # meanwhile a lead gives one of them back to the leaving scout
        db.session.execute(update(Case).where(Case.id == first).values(owner_id=scout.id))
    handover_worker.work(job_id, "w")
    assert _owned(scout) == set() and ids <= _owned(scout2)
    assert not db.session.get(User, scout.id).active
