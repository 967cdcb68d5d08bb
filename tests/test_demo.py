"""Demo data: idempotent, realistic, every state backed by its records; bulk data for benchmarks."""

import re
import shutil
from datetime import datetime, time
from pathlib import Path

import pytest
from sqlalchemy import delete, func, make_url, select, text

from app import create_app
from app.auth.models import User
from app.auth.passwords import verify_password
from app.cases import readmodel, workflow
from app.cases.models import Business, Case, CaseEvent, Measure
from app.cases.services import open_business_case
from app.checks import questionnaire as qn
from app.checks import summary
from app.checks.answers import implementation, relevance
from app.checks.models import CaseCheckSummary, Check, CheckScore
from app.demo import DEMO_PASSWORD, seed_demo_data
from app.demo_bulk import seed_bulk
from app.extensions import db
from app.partners.models import Referral
from app.scheduling.calendar import add_business_days
from app.scheduling.dispatch import dispatch_once
from app.scheduling.models import FollowUpRule, OutboxMessage, Reminder
from app.scheduling.reminders import end_of_day
from app.timeutil import BERLIN, utcnow
from app.transactions import unit_of_work
from app.workshops.models import Attendance, Workshop
from tests.conftest import sqlite_snapshot


def _counts() -> dict[str, int]:
    models = (User, Business, Case, CaseEvent, Check, Attendance, Referral, Measure, Workshop)
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in models}


def _fresh_demo() -> None:
    # The fixtures' accounts carry the demo emails, and an existing lead account means "already seeded".
    db.session.execute(delete(User))
    db.session.commit()
    with unit_of_work():
        assert seed_demo_data() is True


@pytest.fixture(scope="module")
def demo_snapshot(tmp_path_factory, sqlite_template) -> Path:
    """The demo seeded once (it takes seconds; seed_demo_data is deterministic): a copy of the template."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        _fresh_demo()
        db.session.remove()
        db.engine.dispose()
    return sqlite_snapshot(path)


@pytest.fixture
def database_url(request, database_url, backend) -> str:
    """Tests that ask for `demo` start on a fresh copy of the seeded demo instead of the bare template."""
    if "demo" in request.fixturenames:
        assert backend == "sqlite"
        shutil.copyfile(request.getfixturevalue("demo_snapshot"), make_url(database_url).database)
    return database_url


@pytest.fixture
def demo(app) -> None:
    """The test's database holds the freshly seeded demo data (and no other accounts)."""


def _cases_in(state: str, without) -> int:
    """Cases in state that lack the record the state machine's guard requires."""
    return db.session.scalar(select(func.count()).select_from(Case).where(
        Case.state == state, ~select(without.case_id).where(without.case_id == Case.id).exists()))


def test_seed_demo_data_twice_does_not_duplicate(demo):
    first = _counts()
    assert seed_demo_data() is False
    assert _counts() == first
    assert first["User"] == 4 and 190 <= first["Business"] <= 210 and first["Case"] == first["Business"]


def test_demo_covers_every_state_with_the_records_behind_it(demo):
    per_state = dict(db.session.execute(select(Case.state, func.count()).group_by(Case.state)).all())
    assert set(per_state) == set(workflow.STATES) and min(per_state.values()) >= 10
    later = ("check_done", "workshop_attended", "referred", "implemented")
    assert sum(_cases_in(state, Check) for state in later) == 0
    assert _cases_in("workshop_attended", Attendance) == 0
    assert _cases_in("referred", Referral) == 0
    assert _cases_in("implemented", Measure) == 0
    check = db.session.scalar(select(Check).limit(1))
    assert check.status == "completed" and 1 <= check.level <= 5 and 0 <= check.overall_score <= 100
    assert all(0 <= implementation(value) <= 4 and relevance(value) is not None for value in check.answers.values())
    assert db.session.scalar(select(func.count()).where(Referral.consent.is_(False))) == 0


def test_demo_accounts_and_businesses_look_real_but_reach_nobody(demo):
    lead = db.session.scalar(select(User).where(User.email == "leitung@example.org"))
    assert (lead.name, lead.role) == ("Lena Leitner", "lead")
    assert verify_password(lead.password_hash, DEMO_PASSWORD)
    scouts = db.session.scalars(select(User).where(User.role == "scout")).all()
    assert sorted(s.name for s in scouts) == ["Sina Schulte", "Tarek Yilmaz"]
    per_owner = [db.session.scalar(select(func.count()).where(Case.owner_id == s.id)) for s in scouts]
    assert abs(per_owner[0] - per_owner[1]) <= 2
    businesses = db.session.scalars(select(Business)).all()
    assert all(re.fullmatch(r"[^@]+@([a-z0-9-]+\.)?example\.(org|com)", b.email) for b in businesses)
    assert all(re.fullmatch(r"0\d{2,4} 0\d+", b.phone) for b in businesses)
    consenting = [b for b in businesses if b.email_consent]
    assert consenting and all(b.consent_at and b.consent_source for b in consenting)
    assert len({b.name for b in businesses}) == len(businesses)


def test_demo_timelines_are_backdated_and_in_order(demo):
    now = utcnow()
    opened = db.session.scalars(select(Case.opened_at)).all()
    assert (max(opened) - min(opened)).days > 150
    events_of: dict[int, list[CaseEvent]] = {}
    for event in db.session.scalars(select(CaseEvent).order_by(CaseEvent.created_at, CaseEvent.id)):
        events_of.setdefault(event.case_id, []).append(event)
    for case in db.session.scalars(select(Case)):
        events = events_of[case.id]
        moves = [e for e in events if e.kind == "moved"]
        assert events[0].kind == "opened" and events[0].created_at == case.opened_at
        assert all(e.created_at <= now for e in events)
        if moves:
            assert moves[-1].to_state == case.state and moves[-1].created_at == case.state_changed_at
            assert moves[0].to_state in ("check_done", "withdrawn")
        # What the rules noted on a move carries the time of that move.
        move_times = {m.created_at for m in moves}
        assert all(e.created_at in move_times for e in events if e.kind in ("follow_ups_cancelled", "email_cancelled"))
    workshops = db.session.scalars(select(Workshop.starts_at)).all()
    assert any(w < now for w in workshops) and any(w > now for w in workshops)


def test_demo_follow_ups_look_as_if_the_rules_had_run_back_then(demo):
    now = utcnow()
    move_times = {(e.case_id, e.created_at) for e in db.session.scalars(select(CaseEvent).where(
        CaseEvent.kind.in_(("moved", "opened"))))}
    delays = {r.id: r.delay_days for r in db.session.scalars(select(FollowUpRule))}
    by_rule = db.session.scalars(select(Reminder).where(Reminder.rule_id.is_not(None))).all()
    assert by_rule and all((r.case_id, r.created_at) in move_times for r in by_rule)
    assert all(r.due_at == add_business_days(r.created_at, delays[r.rule_id]) for r in by_rule)
    mails = db.session.scalars(select(OutboxMessage)).all()
    assert mails and all((m.case_id, m.created_at) in move_times for m in mails)
    sent = [m for m in mails if m.status == "sent"]
    assert sent and all(m.due_at <= m.sent_at <= now for m in sent)
    consenting = set(db.session.scalars(select(Case.id).join(Business).where(Business.email_consent)))
    assert all(m.case_id in consenting for m in sent if m.audience == "business")
    assert any(m.status == "cancelled" for m in mails)


def test_demo_has_reminders_due_overdue_and_ahead_and_mails_to_send(demo):
    now = utcnow()
    start_of_today = datetime.combine(now.astimezone(BERLIN).date(), time(0), tzinfo=BERLIN)
    due = db.session.scalars(select(Reminder.due_at).where(Reminder.state == "open")).all()
    assert sum(d < start_of_today for d in due) >= 3  # overdue
    assert sum(start_of_today <= d < end_of_day(now) for d in due) >= 3  # due today
    assert sum(d >= end_of_day(now) for d in due) >= 10  # in the coming days
    assert db.session.scalar(select(func.count()).where(Reminder.state == "done")) > 0
    # Every case's next follow-up is its earliest open reminder.
    earliest = dict(db.session.execute(select(Reminder.case_id, func.min(Reminder.due_at))
                                       .where(Reminder.state == "open").group_by(Reminder.case_id)).all())
    assert {c.id: c.next_due_at for c in db.session.scalars(select(Case))} == {
        c: earliest.get(c) for c in db.session.scalars(select(Case.id))}
    due_mails = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == "pending", OutboxMessage.due_at <= now))
    assert due_mails >= 5


def test_demo_mails_due_are_delivered_by_one_dispatcher_pass(demo, smtp_server):
    stats = dispatch_once()
    assert stats.sent >= 5 and stats.failed == 0
    assert len(smtp_server.messages) == stats.sent


@pytest.mark.postgres
def test_seed_bulk_creates_the_cases_asked_for(app, users):
    before = db.session.scalar(select(func.count()).select_from(Case))
    assert seed_bulk(500) == 500
    assert db.session.scalar(select(func.count()).select_from(Case)) == before + 500
    assert db.session.scalar(select(func.count()).select_from(Business)) == 500
    assert db.session.scalar(select(func.count()).select_from(CaseEvent)) >= 500
    assert db.session.scalar(select(func.count(func.distinct(Case.state)))) == len(workflow.STATES)
    # Explicit ids must leave the id sequences usable (PostgreSQL) for the next business created normally.
    top_business, top_case = (db.session.scalar(select(func.max(m.id))) for m in (Business, Case))
    template = db.session.get(Business, top_business)
    copy = Business(name="Tischlerei Neu", trade_id=template.trade_id, postcode=template.postcode,
                    municipality_id=template.municipality_id)
    case = open_business_case(copy, users["scout"], users["scout"])
    assert (copy.id, case.id) == (top_business + 1, top_case + 1)
    # ... and for every other table the seed wrote explicit ids into.
    if db.session.get_bind().dialect.name == "postgresql":
        for model in (Check, Attendance, Referral, Measure, Reminder, OutboxMessage, CaseEvent, Workshop):
            top = db.session.scalar(select(func.max(model.id)))
            table = model.__tablename__
            assert db.session.scalar(text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))")) > top


def _rows(query) -> list[tuple]:
    return sorted(tuple(row) for row in db.session.execute(query))


@pytest.mark.postgres
def test_seed_bulk_gives_every_case_the_records_its_state_implies(app, users):
    seed_bulk(300)
    db.session.expire_all()
    cases = db.session.execute(select(Case.id, Case.state, Case.owner_id, Case.next_due_at)).all()
    completed = set(db.session.scalars(select(Check.case_id).where(Check.status == "completed", Check.kind == "t0")))
    rechecked = set(db.session.scalars(select(Check.case_id).where(Check.status == "completed", Check.kind == "t1")))
    attended = set(db.session.scalars(select(Attendance.case_id)))
    referred = set(db.session.scalars(select(Referral.case_id)))
    implemented = set(db.session.scalars(select(Measure.case_id).where(Measure.status == "implemented")))
    later = set(workflow.ORDER[1:])
    by_state = {state: {c for c, s, _o, _d in cases if s == state} for state in workflow.STATES}
    assert all(by_state.values())
    assert by_state["contacted"].isdisjoint(completed | attended | referred | implemented)
    assert {c for c, s, _o, _d in cases if s in later} <= completed
    assert by_state["workshop_attended"] <= attended
    assert by_state["referred"] <= referred
    assert by_state["implemented"] <= implemented and by_state["implemented"] & rechecked
    assert rechecked <= by_state["implemented"]
    assert by_state["withdrawn"] & completed and by_state["withdrawn"] - completed  # a share withdrew after the check
    # Scores: every completed check has scores for each dimension of the current questionnaire.
    q = qn.load()
    for scores, overall, version in db.session.execute(select(Check.scores, Check.overall_score,
                                                              Check.questionnaire_version)):
        assert version == q.version and set(scores) == {d.key for d in q.dimensions}
        assert 0 <= overall <= 100
    # The read models: the T0/T1 summary and score rows as the app rebuilds them, the pipeline counts.
    seeded = (_rows(select(CaseCheckSummary.__table__)), _rows(select(CheckScore.__table__)))
    assert len(seeded[0]) == len(completed)
    summary.rebuild(db.session.connection())
    assert (_rows(select(CaseCheckSummary.__table__)), _rows(select(CheckScore.__table__))) == seeded
    assert readmodel.snapshot() == {(o, m, g, s): n for o, m, g, s, n in
                                    db.session.execute(readmodel.from_base_tables())}
    # Open reminders: owned by the case owner, and next_due_at is the earliest of them.
    due = dict(db.session.execute(select(Reminder.case_id, func.min(Reminder.due_at))
                                  .where(Reminder.state == "open").group_by(Reminder.case_id)).all())
    assert due
    for case_id, state, _owner, next_due in cases:
        assert next_due == due.get(case_id)
        assert state != "withdrawn" or next_due is None
    assert not db.session.scalar(select(func.count()).select_from(Reminder).join(Case, Case.id == Reminder.case_id)
                                 .where(Reminder.assignee_id != Case.owner_id))
    # The outbox: a mix of statuses; what was sent has its text.
    statuses = dict(db.session.execute(select(OutboxMessage.status, func.count())
                                       .group_by(OutboxMessage.status)).all())
    assert statuses.get("sent", 0) > statuses.get("pending", 0) > 0 and statuses.get("cancelled")
    assert not db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == "sent", (OutboxMessage.subject == "") | (OutboxMessage.body_text == "")))
    # The timeline has an entry for each record.
    for kind, model in (("check_completed", Check), ("workshop_attended", Attendance), ("referral", Referral),
                        ("measure_recorded", Measure)):
        events = db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == kind))
        assert events == db.session.scalar(select(func.count()).select_from(model))
