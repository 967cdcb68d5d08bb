"""A hand-built programme for the funder's report, period Q1 2026 (01.01.–31.03.2026, Berlin):

business  employees  trade (annex, group)              town           milestones
E9        9          Tischler (A, Ausbaugewerbe)       Gelsenkirchen  T0 01.01. 00:05 (in), T1 31.03. 23:30 (in)
E10       10         Tischler                          Gelsenkirchen  T0 15.02.
E49       49         Fotografen (B1, privater Bedarf)  Bottrop        T0 15.02., workshop 10.02.
E50       50         Bodenleger (B2, Ausbaugewerbe)    Bottrop        T0 15.02.
E249      249        Kraftfahrzeugtechniker (A, Kfz)   Gelsenkirchen  T0 15.02.
E250      250        Tischler                          Gelsenkirchen  T0 15.02.
ENone     None       Tischler                          Gelsenkirchen  referral 01.03. (no check)
Late      5          Tischler                          Gelsenkirchen  T0 01.04. 00:10 (out), measure 01.04. (out)
Early     5          Tischler                          Bottrop        T0 31.12.2025 23:50 (out), measure 31.03. (in)

Workshops: 10.02. (E9, E49 attend), 02.04. (Late attends: out). Referrals: ENone 01.03. to a university, Late
31.12.2025 (out). E9's T0 scores 40 everywhere (overall 40), T1 60 except strategy 50 (overall 58).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from app.cases.models import Business, Measure
from app.checks import questionnaire as qn
from app.checks import summary
from app.checks.models import Check
from app.extensions import db
from app.partners.models import Partner, Referral
from app.reference.models import Municipality, Topic, Trade
from app.reports.period import Period
from app.timeutil import BERLIN
from app.workshops.models import Attendance, Workshop
from tests.factories import make_case

Q1 = Period(date(2026, 1, 1), date(2026, 3, 31))


def berlin(*parts) -> datetime:
    return datetime(*parts, tzinfo=BERLIN).astimezone(UTC)


@dataclass
class Data:
    cases: dict
    period: Period = Q1


def _case(users, name, employees, trade, town):
    case = make_case(users["scout"], name=name)
    business = db.session.get(Business, case.business_id)
    business.employees = employees
    business.trade_id = db.session.scalar(select(Trade.id).where(Trade.name == trade))
    business.municipality_id = db.session.scalar(select(Municipality.id).where(Municipality.name == town))
    db.session.commit()
    return case


def _check(case, kind, when, scores=None, overall=None):
    keys = [d.key for d in qn.load("v2").dimensions]
    scores = scores or dict.fromkeys(keys, 50.0)
    check = Check(case_id=case.id, questionnaire_version="v2", kind=kind, status="completed", answers={},
                  scores=scores, overall_score=overall if overall is not None else 50.0, completed_at=when)
    db.session.add(check)
    db.session.flush()
    summary.record(check)
    db.session.commit()
    return check


def _workshop(when, *cases):
    topic = db.session.scalar(select(Topic).order_by(Topic.id))
    workshop = Workshop(title="E-Rechnung", topic_id=topic.id, starts_at=when, place="Gelsenkirchen")
    db.session.add(workshop)
    db.session.flush()
    db.session.add_all(Attendance(workshop_id=workshop.id, case_id=case.id) for case in cases)
    db.session.commit()


def _referral(case, when, kind="university"):
    partner = db.session.scalar(select(Partner).where(Partner.kind == kind).order_by(Partner.id))
    topic = db.session.scalar(select(Topic).order_by(Topic.id))
    db.session.add(Referral(case_id=case.id, partner_id=partner.id, topic_id=topic.id, consent=True,
                            created_at=when))
    db.session.commit()


def _measure(case, day, status="implemented"):
    topic = db.session.scalar(select(Topic).order_by(Topic.id.desc()))
    db.session.add(Measure(case_id=case.id, topic_id=topic.id, description="E-Rechnung", status=status,
                           implemented_on=day))
    db.session.commit()


def build(users) -> Data:
    keys = [d.key for d in qn.load("v2").dimensions]
    c = {
        "E9": _case(users, "E9", 9, "Tischler", "Gelsenkirchen"),
        "E10": _case(users, "E10", 10, "Tischler", "Gelsenkirchen"),
        "E49": _case(users, "E49", 49, "Fotografen", "Bottrop"),
        "E50": _case(users, "E50", 50, "Bodenleger", "Bottrop"),
        "E249": _case(users, "E249", 249, "Kraftfahrzeugtechniker", "Gelsenkirchen"),
        "E250": _case(users, "E250", 250, "Tischler", "Gelsenkirchen"),
        "ENone": _case(users, "ENone", None, "Tischler", "Gelsenkirchen"),
        "Late": _case(users, "Late", 5, "Tischler", "Gelsenkirchen"),
        "Early": _case(users, "Early", 5, "Tischler", "Bottrop"),
    }
    _check(c["E9"], "t0", berlin(2026, 1, 1, 0, 5), dict.fromkeys(keys, 40.0), 40.0)
    _check(c["E9"], "t1", berlin(2026, 3, 31, 23, 30),
           {key: 50.0 if key == "strategy" else 60.0 for key in keys}, 58.0)
    for name in ("E10", "E49", "E50", "E249", "E250"):
        _check(c[name], "t0", berlin(2026, 2, 15, 10, 0))
    _check(c["Late"], "t0", berlin(2026, 4, 1, 0, 10))
    _check(c["Early"], "t0", berlin(2025, 12, 31, 23, 50))
    _workshop(berlin(2026, 2, 10, 18, 0), c["E9"], c["E49"])
    _workshop(berlin(2026, 4, 2, 18, 0), c["Late"])
    _referral(c["ENone"], berlin(2026, 3, 1, 9, 0))
    _referral(c["Late"], berlin(2025, 12, 31, 12, 0))
    _measure(c["Early"], date(2026, 3, 31))
    _measure(c["Late"], date(2026, 4, 1))
    _measure(c["E10"], date(2026, 2, 1), status="planned")  # not implemented: counts nowhere
    return Data(c)
