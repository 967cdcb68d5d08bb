"""Steps the mail and link tests share: a consenting business, a scored check, due follow-ups, received mails."""

import re
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

from sqlalchemy import select

from app.auth.models import User
from app.cases import workflow
from app.cases.models import Case
from app.checks import questionnaire as qn
from app.checks.models import Check
from app.checks.scoring import score
from app.extensions import db
from app.scheduling.dispatch import Stats, dispatch_once
from app.scheduling.models import OutboxMessage
from app.timeutil import utcnow
from tests.factories import PATH, RECORDS_FOR, make_case

BASE_URL = "https://procheck.hwk-test.example"
BUSINESS_EMAIL = "info@brinkmann.example.org"
# Answers per dimension: IT security is weakest, then office, then customers.
DIMENSION_VALUES = {"strategy": 4, "customers": 2, "office": 1, "site": 4, "security": 0, "skills": 4, "data": 3}


def consenting_case(owner: User, name: str = "Tischlerei Brinkmann") -> Case:
    """A business that agreed to emails (phone and contact person filled in), with its case."""
    case = make_case(owner, name=name)
    business = case.business
    business.email_consent, business.consent_at, business.consent_source = True, utcnow(), "Erstgespräch"
    business.phone = "0209 123456"
    db.session.commit()
    return case


def scored_check(case: Case) -> Check:
    """A completed check scored like the real one: IT security 0, office 25, customers 50 points."""
    questionnaire = qn.load("v1")
    answers = {item.key: DIMENSION_VALUES[d.key] for d in questionnaire.dimensions for item in d.items}
    result = score(questionnaire, answers)
    check = Check(case_id=case.id, questionnaire_version="v1", status="completed", answers=answers,
                  scores=result.dimensions, overall_score=result.overall, level=result.level,
                  started_at=utcnow(), completed_at=utcnow())
    db.session.add(check)
    db.session.commit()
    return check


def advance(case: Case, state: str, actor: User) -> Case:
    """Move the case through the real workflow (and so the real follow-up rules), with a scored check."""
    for step in PATH[state]:
        scored_check(case) if step == "check_done" else RECORDS_FOR[step](case)
        workflow.move(case, step, actor)
    db.session.commit()
    return case


def outbox_row(case: Case, template_key: str) -> OutboxMessage:
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.case_id == case.id,
                                                         OutboxMessage.template_key == template_key))


def make_due(case: Case, template_key: str) -> OutboxMessage:
    """Travel to the day a scheduled mail is due (its due time is moved to just now)."""
    row = outbox_row(case, template_key)
    row.due_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    return row


def deliver() -> Stats:
    stats = dispatch_once()
    db.session.expire_all()  # the dispatcher committed; read what it wrote
    return stats


def bodies(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text.replace("\r\n", "\n"), html.replace("\r\n", "\n")  # SMTP lines end in CRLF


def received(server, subject_part: str, to: str = BUSINESS_EMAIL) -> EmailMessage:
    found = [m for m in server.messages if m["To"] == to and subject_part in m["Subject"]]
    assert len(found) == 1, [m["Subject"] for m in server.messages]
    return found[0]


def links_in(text: str, prefix: str = BASE_URL) -> list[str]:
    return re.findall(re.escape(prefix) + r"/[^\s\"<>]+", text)


def link_after(text: str, label: str) -> str:
    """The URL on the line after `label:` in a plain-text mail (the one-click answers)."""
    match = re.search(re.escape(label) + r":\n(\S+)", text)
    assert match, f"no link for {label!r} in:\n{text}"
    return match.group(1)


def path_of(url: str) -> str:
    """What the test client requests for an absolute link from a mail."""
    return urlsplit(url).path
