"""Build real records for tests: businesses with cases, and what each workflow guard needs."""

from datetime import date, timedelta

from sqlalchemy import select

from app.auth.models import User
from app.cases import services, workflow
from app.cases.models import Business, Case, Measure
from app.checks.models import Check
from app.extensions import db
from app.partners.models import Partner, Referral
from app.reference.models import Municipality, Topic, Trade
from app.timeutil import utcnow
from app.workshops.models import Attendance, Workshop


def make_case(owner: User, name: str = "Tischlerei Brinkmann", postcode: str = "45879") -> Case:
    town = db.session.scalar(select(Municipality).where(Municipality.name == "Gelsenkirchen"))
    trade = db.session.scalar(select(Trade).where(Trade.name == "Tischler"))
    business = Business(name=name, trade_id=trade.id, postcode=postcode, municipality_id=town.id,
                        contact_name="Jana Brinkmann", email="info@brinkmann.example.org")
    return services.open_business_case(business, owner, owner)


def _topic() -> Topic:
    return db.session.scalar(select(Topic).order_by(Topic.id))


def add_check(case: Case) -> Check:
    check = Check(case_id=case.id, questionnaire_version="v1", status="completed", answers={}, scores={},
                  overall_score=50.0, level=3, completed_at=utcnow())
    db.session.add(check)
    db.session.commit()
    return check


def add_attendance(case: Case) -> Attendance:
    workshop = Workshop(title="E-Rechnung im Handwerk", topic_id=_topic().id, place="Gelsenkirchen",
                        starts_at=utcnow() - timedelta(days=3))
    db.session.add(workshop)
    db.session.flush()
    attendance = Attendance(workshop_id=workshop.id, case_id=case.id)
    db.session.add(attendance)
    db.session.commit()
    return attendance


def add_referral(case: Case) -> Referral:
    partner = db.session.scalar(select(Partner).order_by(Partner.id))
    referral = Referral(case_id=case.id, partner_id=partner.id, topic_id=_topic().id, consent=True)
    db.session.add(referral)
    db.session.commit()
    return referral


def add_measure(case: Case, status: str = "implemented") -> Measure:
    measure = Measure(case_id=case.id, description="E-Rechnungen empfangen und archivieren", status=status,
                      implemented_on=date.today() if status == "implemented" else None)
    db.session.add(measure)
    db.session.commit()
    return measure


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
        workflow.move(case, state, actor, reason="Kein Interesse mehr")
    for step in PATH.get(state, []):
        RECORDS_FOR[step](case)
        workflow.move(case, step, actor)
    db.session.commit()
    return case
