"""A scout walks a new business from first contact to "implemented", in Chromium, with CSRF on.

Every step goes through the page the way a scout would use it (German labels and button names),
asserts what the scout sees, and the end asserts the database and the timeline.
"""

import re
from datetime import timedelta

from babel.numbers import format_decimal
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.auth.models import User
from app.cases.models import Business, Case, CaseEvent, Measure
from app.checks import questionnaire as qn
from app.checks.models import Check
from app.checks.scoring import score
from app.extensions import db
from app.partners.models import Partner, Referral
from app.timeutil import BERLIN, utcnow
from app.workshops.models import Attendance, Workshop
from tests.browser.helpers import STATE_DE, log_in, state_badge

BUSINESS = "Elektro Kowalski GmbH"
NOTE = "Erstes Telefonat mit Frau Kowalski: Interesse am Check, Termin vor Ort am Dienstag."
WORKSHOP = "E-Rechnung im Handwerk – Erfahrungsaustausch"
PARTNER = "Westfälische Hochschule, Gelsenkirchen"
MEASURE = "E-Rechnungen werden jetzt im ZUGFeRD-Format empfangen und revisionssicher archiviert."
NO_ANSWER = "Keine Angabe"


def moved_flash(state: str) -> str:
    return f"Der Fall steht jetzt auf „{STATE_DE[state]}“."


def move_on_box(page: Page, state: str):
    return page.get_by_label(f"Fall anschließend auf „{STATE_DE[state]}“ setzen")


def status(page: Page, text: str):
    """A success flash (role=status) with exactly this text."""
    return page.get_by_role("status").filter(has_text=text)


def chosen_answers(questionnaire: qn.Questionnaire) -> dict:
    """A spread of answers over the whole scale, with some "Keine Angabe" (None), as the check stores them."""
    scale = [option.value for option in questionnaire.scale]

    def pick(i: int) -> int | None:
        return None if i % 9 == 4 else scale[i % len(scale)]

    if not questionnaire.rates_relevance:
        return {item.key: pick(i) for i, item in enumerate(questionnaire.items)}
    return {item.key: {"implementation": pick(i), "relevance": pick(i + 2)}
            for i, item in enumerate(questionnaire.items)}


def create_business(page: Page, scout_id: int) -> None:
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Neuer Betrieb").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Neuer Betrieb")
    page.get_by_label("Name des Betriebs").fill(BUSINESS)
    page.get_by_label("Gewerk", exact=True).select_option(label="Elektrotechniker")
    page.get_by_label("Handwerksrollennummer").fill("20231187")
    page.get_by_label("Beschäftigte").fill("12")
    page.get_by_label("Straße und Hausnummer").fill("Bahnhofstraße 12")
    page.get_by_label("Postleitzahl").fill("45879")
    page.get_by_label("Kommune", exact=True).select_option(label="Gelsenkirchen")
    page.get_by_label("Ansprechperson").fill("Marta Kowalski")
    page.get_by_label("Telefon", exact=True).fill("0209 123456")
    page.get_by_label("E-Mail-Adresse").fill("info@kowalski.example.org")
    page.get_by_label("Der Betrieb ist mit E-Mails aus dem Programm einverstanden").check()
    page.get_by_label("Wie wurde die Einwilligung erteilt?").fill("Erstes Telefonat, mündlich")
    expect(page.get_by_label("Zuständiger Scout")).to_have_value(str(scout_id))  # preselected: the signed-in scout
    page.get_by_role("button", name="Speichern").click()


def take_the_check(page: Page, answers: dict, questionnaire: qn.Questionnaire) -> None:
    """Scout mode: one dimension per step, both ratings of each item, then the review."""
    ratings = [("implementation", "Wie weit umgesetzt?", questionnaire.scale),
               ("relevance", "Wie wichtig für den Betrieb?", questionnaire.relevance_scale)]
    for dimension in questionnaire.dimensions:
        for item in dimension.items:
            question = page.get_by_role("group", name=item.text, exact=True)
            for key, legend, scale in ratings:
                value = answers[item.key][key]
                answer = NO_ANSWER if value is None else next(o.label for o in scale if o.value == value)
                question.get_by_role("group", name=legend).get_by_role("radio", name=answer, exact=True).click()
        page.get_by_role("button", name=re.compile(r"^Weiter")).click()
    move_on = move_on_box(page, "check_done")
    move_on.check()
    expect(move_on).to_be_checked()
    page.get_by_role("button", name="Check abschließen").click()


def test_scout_walks_a_new_business_through_the_whole_pipeline(page: Page, live_server):
    base = live_server.url
    with live_server.app.app_context():
        scout_id = db.session.scalar(select(User.id).where(User.email == "scout1@example.org"))
        partner_id = db.session.scalar(select(Partner.id).where(Partner.name == "Westfälische Hochschule"))
    questionnaire = qn.load(qn.CURRENT_VERSION)
    answers = chosen_answers(questionnaire)
    expected = score(questionnaire, answers)

    # Sign in through the form: a scout lands on the caseload.
    log_in(page, base, "scout")
    expect(page).to_have_url(f"{base}/cases")
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Fälle")

    # First contact: a new business opens its case.
    create_business(page, scout_id)
    expect(status(page, "Betrieb angelegt; sein Fall ist eröffnet.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(BUSINESS)
    expect(state_badge(page)).to_have_text(STATE_DE["contacted"])
    case_url = page.url
    assert re.fullmatch(rf"{re.escape(base)}/cases/\d+", case_url)

    # A note on the timeline.
    page.get_by_label("Art", exact=True).select_option(label="Telefonat")
    page.get_by_label("Notiz", exact=True).fill(NOTE)
    page.get_by_role("button", name="Notiz speichern").click()
    expect(status(page, "Notiz gespeichert.")).to_be_visible()
    timeline = page.get_by_role("region", name="Verlauf").get_by_role("listitem")
    expect(timeline.first).to_contain_text(NOTE)

    # The digitalisation check, every question answered by clicking its radio button.
    page.get_by_role("button", name="Check beginnen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Digitalisierungscheck: {BUSINESS}")
    take_the_check(page, answers, questionnaire)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Ergebnis des Digitalisierungschecks: {BUSINESS}")
    expect(status(page, "Der Digitalisierungscheck ist abgeschlossen.")).to_be_visible()
    expect(status(page, moved_flash("check_done"))).to_be_visible()
    overall = format_decimal(expected.overall, "0.0", locale="de")
    expect(page.get_by_text(f"{overall} von 100 Punkten")).to_be_visible()
    expect(page.get_by_text(f"Stufe {expected.level} von 5:")).to_be_visible()
    page.get_by_role("link", name="Zurück zum Fall").click()
    expect(state_badge(page)).to_have_text(STATE_DE["check_done"])

    # A workshop, created through its form (a week ago, 18:00 German time).
    day = (utcnow().astimezone(BERLIN) - timedelta(days=7)).date()
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Workshops").click()
    page.get_by_role("link", name="Neuer Workshop").click()
    page.get_by_label("Titel", exact=True).fill(WORKSHOP)
    page.get_by_role("group", name="Themen").get_by_label("E-Rechnung", exact=True).check()
    page.get_by_label("Datum und Uhrzeit").fill(f"{day.isoformat()}T18:00")
    page.get_by_label("Ort", exact=True).fill("Bildungszentrum der Handwerkskammer, Gelsenkirchen")
    page.get_by_label("Beschreibung").fill("Betriebe berichten, wie sie E-Rechnungen empfangen und versenden.")
    page.get_by_role("button", name="Speichern").click()
    expect(status(page, "Der Workshop ist gespeichert.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(WORKSHOP)

    # Back to the case through the caseload, then record the attendance.
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Fälle").click()
    page.get_by_role("link", name=BUSINESS).click()
    expect(page).to_have_url(case_url)
    page.get_by_role("link", name="Workshop-Teilnahme erfassen").click()
    workshop_option = f"{day:%d.%m.%Y} 18:00 – {WORKSHOP} (Bildungszentrum der Handwerkskammer, Gelsenkirchen)"
    page.get_by_label("Workshop", exact=True).select_option(label=workshop_option)
    move_on_box(page, "workshop_attended").check()
    page.get_by_role("button", name="Teilnahme speichern").click()
    expect(status(page, "Die Teilnahme ist erfasst.")).to_be_visible()
    expect(status(page, moved_flash("workshop_attended"))).to_be_visible()
    expect(state_badge(page)).to_have_text(STATE_DE["workshop_attended"])
    expect(page.get_by_role("link", name=WORKSHOP)).to_be_visible()

    # A referral: refused without the business's consent (nothing saved), then recorded with it.
    page.get_by_role("link", name="An einen Partner vermitteln").click()
    page.get_by_label("1. Thema", exact=True).select_option(label="IT-Sicherheit")  # the topic decides the partners
    page.get_by_role("button", name="Partner zu diesem Thema zeigen").click()
    page.get_by_label("Partner", exact=True).select_option(label=PARTNER)
    page.get_by_label("Hinweis für den Partner").fill("Bitte um ein Erstgespräch zur Datensicherung.")
    move_on_box(page, "referred").check()
    page.get_by_role("button", name="Vermittlung speichern").click()
    consent = page.get_by_label("Der Betrieb ist einverstanden, dass wir seine Daten an den Partner weitergeben.")
    refusal = "Ohne das Einverständnis des Betriebs dürfen wir ihn nicht an einen Partner vermitteln."
    expect(consent).to_have_accessible_description(refusal)
    expect(page.get_by_label("Partner", exact=True)).to_have_value(str(partner_id))  # the choice is kept
    with live_server.app.app_context():
        assert db.session.scalar(select(db.func.count(Referral.id))) == 0
    consent.check()
    page.get_by_role("button", name="Vermittlung speichern").click()
    expect(status(page, "Die Vermittlung ist erfasst.")).to_be_visible()
    expect(status(page, moved_flash("referred"))).to_be_visible()
    expect(state_badge(page)).to_have_text(STATE_DE["referred"])

    # What the business implemented.
    page.get_by_role("link", name="Maßnahme erfassen").click()
    page.get_by_label("Was hat der Betrieb gemacht?").fill(MEASURE)
    page.get_by_label("Thema", exact=True).select_option(label="E-Rechnung")
    expect(page.get_by_label("Status", exact=True)).to_have_value("implemented")
    today = utcnow().astimezone(BERLIN).date()
    page.get_by_label("Umgesetzt am", exact=True).fill(today.isoformat())
    move_on_box(page, "implemented").check()
    page.get_by_role("button", name="Maßnahme speichern").click()
    expect(status(page, "Die Maßnahme ist erfasst.")).to_be_visible()
    expect(status(page, moved_flash("implemented"))).to_be_visible()
    expect(state_badge(page)).to_have_text(STATE_DE["implemented"])

    # The timeline, newest first, as the scout sees it.
    seen = [
        ("Status geändert", f"{STATE_DE['referred']} → {STATE_DE['implemented']}"),
        ("Maßnahme erfasst", MEASURE),
        ("Status geändert", f"{STATE_DE['workshop_attended']} → {STATE_DE['referred']}"),
        ("Vermittlung an einen Partner", "Vermittelt an Westfälische Hochschule zum Thema „IT-Sicherheit“."),
        ("Status geändert", f"{STATE_DE['check_done']} → {STATE_DE['workshop_attended']}"),
        ("Workshop-Teilnahme erfasst", f"Hat am {day:%d.%m.%Y} am Workshop „{WORKSHOP}“ teilgenommen."),
        ("Status geändert", f"{STATE_DE['contacted']} → {STATE_DE['check_done']}"),
        ("Digitalisierungscheck abgeschlossen", f"{overall} von 100 Punkten, Reifegrad {expected.level}"),
        ("Notiz", NOTE),
        ("Fall eröffnet", "Sina Scout"),
    ]
    expect(timeline).to_have_count(len(seen))
    for entry, (title, detail) in zip(timeline.all(), seen, strict=True):
        expect(entry.locator("strong")).to_have_text(title)
        expect(entry).to_contain_text(detail)
        expect(entry).to_contain_text("Sina Scout")

    # And the database agrees.
    with live_server.app.app_context():
        case = db.session.scalar(select(Case))
        assert case.state == "implemented"
        assert case.owner_id == scout_id
        business = db.session.get(Business, case.business_id)
        assert (business.name, business.postcode, business.register_number) == (BUSINESS, "45879", "20231187")
        assert business.email_consent and business.consent_at is not None
        events = db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.created_at, CaseEvent.id)).all()
        assert [e.kind for e in events] == [
            "opened", "note", "check_completed", "moved", "workshop_attended", "moved", "referral", "moved",
            "measure_recorded", "moved",
        ]
        assert [(e.from_state, e.to_state) for e in events if e.kind == "moved"] == [
            ("contacted", "check_done"), ("check_done", "workshop_attended"), ("workshop_attended", "referred"),
            ("referred", "implemented"),
        ]
        assert {e.actor_id for e in events} == {scout_id}
        assert (events[1].text, events[1].data["channel"]) == (NOTE, "call")

        check = db.session.scalar(select(Check).where(Check.case_id == case.id))
        assert check.status == "completed"
        assert check.answers == answers  # every radio button clicked reached the database
        assert (check.overall_score, check.level) == (expected.overall, expected.level)

        workshop = db.session.scalar(select(Workshop))
        assert workshop.starts_at.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M") == f"{day.isoformat()} 18:00"
        assert db.session.scalar(select(Attendance.workshop_id).where(Attendance.case_id == case.id)) == workshop.id
        referral = db.session.scalar(select(Referral).where(Referral.case_id == case.id))
        assert referral.consent and referral.partner_id == partner_id
        measure = db.session.scalar(select(Measure).where(Measure.case_id == case.id))
        assert (measure.description, measure.status, measure.implemented_on) == (MEASURE, "implemented", today)
