"""The chamber's name keeps its article wherever a business or a partner reads it (mails and public pages)."""

import re
from pathlib import Path

import pytest
from sqlalchemy import or_, select

from app.cases import workflow
from app.chamber import chamber_name
from app.checks import self_check
from app.extensions import db
from app.scheduling import links, mails
from app.scheduling.mail_templates import TEMPLATES
from app.scheduling.models import OutboxMessage
from tests.factories import RECORDS_FOR
from tests.intake.conftest import confirm_path, latest_request, send
from tests.mailflow import BASE_URL, advance, consenting_case, path_of, scored_check

NAME = "Handwerkskammer Münster"
ROOT = Path(__file__).resolve().parents[2]
# What may stand right before the bare name: an article, a dash or dot of a heading line, a tag, a line start.
ALLOWED_BEFORE = {"der", "die", "–", "·"}


@pytest.fixture(autouse=True)
def public_base_url(app):
    app.config["PUBLIC_BASE_URL"] = BASE_URL


def bare_uses(text: str, name: str = NAME) -> list[str]:
    """Each place where the name follows a word that needs an article in between ("von Handwerkskammer …")."""
    wrong = []
    for match in re.finditer(r"(\S*)[ \t]+" + re.escape(name), text):
        before = match.group(1)
        if before not in ALLOWED_BEFORE and not before.endswith(">"):
            wrong.append(text[max(0, match.start() - 40):match.end()])
    return wrong


def test_the_forms_default_to_the_feminine_article_of_a_kammer():
    name = chamber_name({"CHAMBER_NAME": "Handwerkskammer Köln"})
    assert (str(name), name.nominative, name.dative, name.genitive) == (
        "Handwerkskammer Köln", "die Handwerkskammer Köln", "der Handwerkskammer Köln", "der Handwerkskammer Köln")


def test_a_configured_form_wins_over_the_derived_one():
    name = chamber_name({"CHAMBER_NAME": "HWK Ulm", "CHAMBER_NAME_NOMINATIVE": "die HWK Ulm",
                         "CHAMBER_NAME_DATIVE": "der Handwerkskammer Ulm", "CHAMBER_NAME_GENITIVE": ""})
    assert (name.nominative, name.dative, name.genitive) == ("die HWK Ulm", "der Handwerkskammer Ulm", "der HWK Ulm")


def test_the_checker_finds_the_bare_name_after_a_preposition():
    assert bare_uses("Sie erhalten von Handwerkskammer Münster keine") != []
    assert bare_uses("am Programm der Handwerkskammer Münster teil\nHandwerkskammer Münster\n– Handwerkskammer Münster"
                     '<span class="brand">Handwerkskammer Münster</span>') == []


def test_every_mail_to_a_business_or_partner_names_the_chamber_with_its_article(app, client, users):
    assert send(client).status_code == 302  # the public request's opt-in, and once confirmed its confirmation
    assert client.post(confirm_path(latest_request())).status_code == 200
    case = consenting_case(users["scout"])
    for state in ("check_done", "workshop_attended", "referred", "implemented"):  # every state's mails
        scored_check(case) if state == "check_done" else RECORDS_FOR[state](case)
        workflow.move(case, state, users["scout"])
    self_check.send_link(case, users["scout"])
    db.session.flush()
    rows = db.session.scalars(select(OutboxMessage).where(or_(
        OutboxMessage.case_id == case.id, OutboxMessage.template_key.startswith("intake_")))).all()
    outside = {key for key, t in TEMPLATES.items() if t.audience in ("business", "partner")}
    rendered = set()
    for row in rows:
        mails.render(row)
        rendered.add(row.template_key)
        for text in (row.subject, row.body_text, row.body_html):
            assert NAME in text or text == row.subject
            assert bare_uses(text) == [], (row.template_key, bare_uses(text))
        if row.context.get("unsubscribe_url"):
            assert "am Digitalisierungsprogramm der Handwerkskammer Münster teilnimmt" in row.body_text
    db.session.rollback()
    # The workshop mails follow a registration, not a case's states: their sources put no bare word before the name.
    assert outside - rendered <= {key for key in outside if key.startswith("workshop_")}, outside - rendered
    for key in outside - rendered:
        for suffix in ("subject.txt", "txt", "html"):
            source = (ROOT / "templates" / "mail" / f"{key}.{suffix}").read_text(encoding="utf-8")
            assert not re.search(r"\b(von|bei|an|mit|zu|für|aus|vom)\s+\{\{\s*chamber\s*\}\}", source), key


def test_every_public_page_names_the_chamber_with_its_article(app, client, users):
    case = consenting_case(users["scout"])
    advance(case, "referred", users["scout"])
    answer = path_of(links.make_url("answer", case_id=case.id, business_id=case.business_id, a="in_progress"))
    unsubscribe = path_of(links.make_url("unsubscribe", case_id=case.id, business_id=case.business_id))
    check = path_of(links.make_url("self_check", case_id=case.id, business_id=case.business_id))
    db.session.commit()
    pages = {
        "answer": client.get(answer).get_data(as_text=True),
        "unsubscribe": client.get(unsubscribe).get_data(as_text=True),
        "forged": client.get("/a/forged-token").get_data(as_text=True),
        "self-check": client.get(check, follow_redirects=True).get_data(as_text=True),
        "answered": client.post(answer, data={"answer": "in_progress"}).get_data(as_text=True),
        "unsubscribed": client.post(unsubscribe).get_data(as_text=True),
    }
    for page, html in pages.items():
        assert NAME in html, page
        assert bare_uses(html) == [], (page, bare_uses(html))
    assert "schickt Ihnen die Handwerkskammer Münster keine E-Mails mehr" in pages["unsubscribe"]
    assert "Sie erhalten von der Handwerkskammer Münster keine E-Mails mehr" in pages["unsubscribed"]
    assert "Prozessscout bei der Handwerkskammer Münster an" in pages["forged"]
