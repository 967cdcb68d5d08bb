"""Build real records for tests through the real operations, each in its own unit of work."""

from datetime import timedelta

from sqlalchemy import select

from app.auth.models import User
from app.cases import measures, services, workflow
from app.cases.models import Business, Case, Measure
from app.checks import answers as ans
from app.checks import services as checks
from app.checks.models import Check
from app.extensions import db
from app.partners import services as partners
from app.partners.models import Partner, Referral
from app.reference.models import Municipality, Topic, Trade
from app.timeutil import today_berlin, utcnow
from app.transactions import unit_of_work
from app.workshops import attendance as attendances
from app.workshops import services as workshops
from app.workshops.models import Attendance, Workshop


def make_case(owner: User, name: str = "Tischlerei Brinkmann", postcode: str = "45879") -> Case:
    town = db.session.scalar(select(Municipality).where(Municipality.name == "Gelsenkirchen"))
    trade = db.session.scalar(select(Trade).where(Trade.name == "Tischler"))
    business = Business(name=name, trade_id=trade.id, postcode=postcode, municipality_id=town.id,
                        contact_name="Jana Brinkmann", email="info@brinkmann.example.org")
    with unit_of_work():
        case = services.open_business_case(business, owner, owner)
    return case


def _topic() -> Topic:
    return db.session.scalar(select(Topic).order_by(Topic.id))


def _actor(case: Case) -> User:
    return db.session.get(User, case.owner_id)


def add_check(case: Case, implementation: int = 2, relevance: int = 3, version: str = "v1") -> Check:
    """A check answered the same on every item, completed by the owner (the case is not moved).

    v1 by default: a T0 taken before v2 became current (every item at 2 of 4: 50 points, level 3).
    """
    with unit_of_work():
        check = checks.start_or_continue(case, _actor(case))
        check.questionnaire_version = version
        db.session.flush()
        questionnaire = checks.questionnaire_of(check)
        rating = {ans.IMPLEMENTATION: implementation, ans.RELEVANCE: relevance}
        answers = {item.key: dict(rating) if questionnaire.rates_relevance else implementation
                   for item in questionnaire.items}
        checks.save_step(check, answers, resume_at=None)
        checks.complete(check, case, _actor(case), move_on=False)
    return check


def add_workshop(days_ago: int = 3, title: str = "E-Rechnung im Handwerk") -> Workshop:
    with unit_of_work():
        values = workshops.WorkshopValues(title, [_topic().id],
                                          workshops.utc_to_berlin(utcnow() - timedelta(days=days_ago)), 120,
                                          "Gelsenkirchen", "", 20, None, "open", "")
        workshop = workshops.save_workshop(Workshop(), values, None)
    return workshop


def add_attendance(case: Case) -> Attendance:
    workshop = add_workshop()
    with unit_of_work():
        attendances.record_attendance(case, workshop, _actor(case), move_on=False)
    return db.session.scalar(select(Attendance).where(Attendance.case_id == case.id).order_by(Attendance.id.desc()))


def add_referral(case: Case) -> Referral:
    topic = _topic()
    partner = db.session.scalar(select(Partner).where(Partner.active, Partner.email != "",
                                                      Partner.topics.contains(topic)).order_by(Partner.id))
    with unit_of_work():
        partners.refer(case, partner, topic, True, "", _actor(case), move_on=False)
    return db.session.scalar(select(Referral).where(Referral.case_id == case.id).order_by(Referral.id.desc()))


def add_measure(case: Case, status: str = "implemented") -> Measure:
    with unit_of_work():
        measures.record_measure(case, _actor(case), "E-Rechnungen empfangen und archivieren", status, None,
                                today_berlin() if status == "implemented" else None, move_on=False)
    return db.session.scalar(select(Measure).where(Measure.case_id == case.id).order_by(Measure.id.desc()))


# What a case needs to have reached each state along the shortest forward path.
RECORDS_FOR = {"check_done": add_check, "workshop_attended": add_attendance, "referred": add_referral,
               "implemented": add_measure}
PATH = {
    "contacted": [], "check_done": ["check_done"], "workshop_attended": ["check_done", "workshop_attended"],
    "referred": ["check_done", "referred"], "implemented": ["check_done", "implemented"],
}


def bring_to(case: Case, state: str, actor: User) -> Case:
    """Move a case to state through the real workflow, creating only the records each step needs."""
    if state == workflow.WITHDRAWN:
        with unit_of_work():
            workflow.move(case, state, actor, reason="Kein Interesse mehr")
    for step in PATH.get(state, []):
        RECORDS_FOR[step](case)
        with unit_of_work():
            workflow.move(case, step, actor)
    return case
