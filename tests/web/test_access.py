"""Every route with every role and without a login answers as the access table says.

EXPECTED is written out by hand (not read from the views), so a route whose rule changes,
or a new route nobody listed here, fails this test.
"""

import re

import pytest
from sqlalchemy import select

from app.checks.models import Check
from app.extensions import db
from app.imports.models import ImportRun
from app.partners.models import Partner
from app.reports.handover_models import HandoverJob
from app.scheduling import outbox, reminders
from app.scheduling.models import FollowUpRule
from app.timeutil import utcnow
from app.workshops.models import Workshop
from tests.factories import add_attendance, add_check, add_measure, add_referral, make_case
from tests.web.test_headers import assert_secure_headers

ANON, SCOUT, LEAD, ADMIN = "anonymous", "scout", "lead", "admin"
PUBLIC = {ANON, SCOUT, LEAD, ADMIN}
STAFF = {SCOUT, LEAD, ADMIN}
CASE_WORKERS = {SCOUT, LEAD}

EXPECTED: dict[str, set[str]] = {
    "web.index": PUBLIC,
    "web.healthz": PUBLIC,
    "web.help_page": STAFF,
    "auth.login": PUBLIC,
    "auth.logout": STAFF,
    "auth.logout_everywhere": STAFF,
    "auth.keepalive": STAFF,
    "auth.change_password": STAFF,
    "auth.users": {ADMIN},
    "auth.set_active": {ADMIN},
    "auth.reset_password": {ADMIN},
    "auth.edit_user": {ADMIN},
    "auth.audit_log": {ADMIN},
    "admin.municipalities": {ADMIN},
    "admin.municipality": {ADMIN},
    "admin.add_postcode": {ADMIN},
    "admin.remove_postcode": {ADMIN},
    "admin.delete_municipality": {ADMIN},
    "admin.trade_list": {ADMIN},
    "admin.trade": {ADMIN},
    "admin.delete_trade": {ADMIN},
    "mail_texts.index": {ADMIN},
    "mail_texts.edit": {ADMIN},
    "mail_texts.reset": {ADMIN},
    "cases.caseload": CASE_WORKERS,
    "cases.show": CASE_WORKERS,
    "cases.move": CASE_WORKERS,
    "cases.add_note": CASE_WORKERS,
    "cases.new_business": CASE_WORKERS,
    "cases.edit_business": CASE_WORKERS,
    "measures.new": CASE_WORKERS,
    "measures.change_status": CASE_WORKERS,
    "checks.start": CASE_WORKERS,
    "checks.take": CASE_WORKERS,
    "checks.result": CASE_WORKERS,
    "checks.step": CASE_WORKERS,
    "checks.autosave": CASE_WORKERS,
    "checks.take_over": CASE_WORKERS,
    "checks.send_self_check": CASE_WORKERS,
    "workshops.index": STAFF,
    "workshops.new": STAFF,
    "workshops.edit": STAFF,
    "workshops.show": STAFF,
    "workshops.record_attendance": CASE_WORKERS,
    "workshops.calendar": STAFF,
    "workshops.check_in": CASE_WORKERS,
    "workshops.invite": CASE_WORKERS,
    "workshops.withdraw_attendance": CASE_WORKERS,
    "workshop_public.respond": PUBLIC,
    "partners.index": STAFF,
    "partners.new": {LEAD, ADMIN},
    "partners.edit": {LEAD, ADMIN},
    "partners.refer": CASE_WORKERS,
    "partners.figures_page": {LEAD},
    "partners.withdraw": CASE_WORKERS,
    "partners.answer": PUBLIC,
    "reports.pipeline": {LEAD},
    "reports.reassign": {LEAD},
    "reports.programme": {LEAD},
    "reports.funnel": {LEAD, ADMIN},
    "review.queue": {LEAD, ADMIN},
    "review.reassign": {LEAD, ADMIN},
    "review.thresholds": {LEAD, ADMIN},
    "handover.offboard": {ADMIN},
    "handover.matching": {LEAD},
    "handover.job": {LEAD, ADMIN},
    "handover.job_progress": {LEAD, ADMIN},
    "funder.funder": {LEAD, ADMIN},
    "funder.funder_xlsx": {LEAD, ADMIN},
    "funder.funder_csv": {LEAD, ADMIN},
    "funder.case_list_export": {LEAD, ADMIN},
    "funder.targets_page": {LEAD, ADMIN},
    "funder.edit_targets": {LEAD, ADMIN},
    "public.answer": PUBLIC,
    "public.unsubscribe": PUBLIC,
    "self_check.start": PUBLIC,
    "self_check.step": PUBLIC,
    "self_check.autosave": PUBLIC,
    "intake.request_check": PUBLIC,
    "intake.sent": PUBLIC,
    "intake.confirm": PUBLIC,
    "intake.privacy": PUBLIC,
    "intake_assignments.index": {LEAD, ADMIN},
    "scheduling.today": CASE_WORKERS,
    "scheduling.new_reminder": CASE_WORKERS,
    "scheduling.edit_reminder": CASE_WORKERS,
    "scheduling.complete_reminder": CASE_WORKERS,
    "scheduling.snooze_reminder": CASE_WORKERS,
    "scheduling.rules": {LEAD, ADMIN},
    "scheduling.new_rule": {LEAD, ADMIN},
    "scheduling.edit_rule": {LEAD, ADMIN},
    "scheduling.set_rule_active": {LEAD, ADMIN},
    "scheduling.outbox": {LEAD},
    "scheduling.show_mail": {LEAD},
    "scheduling.mail_html": {LEAD},
    "scheduling.retry_mail": {LEAD},
    "scheduling.cancel_mail": {LEAD},
    "privacy.business": {LEAD, ADMIN},
    "privacy.erase": {LEAD, ADMIN},
    "privacy.export_json": {LEAD, ADMIN},
    "privacy.export_page": {LEAD, ADMIN},
    "privacy.retention_page": {LEAD, ADMIN},
    "privacy.record_page": {LEAD, ADMIN},
    "privacy.log_page": {LEAD, ADMIN},
    "imports.upload": {LEAD, ADMIN},
    "imports.mapping": {LEAD, ADMIN},
    "imports.show": {LEAD, ADMIN},
    "imports.progress": {LEAD, ADMIN},
    "imports.errors": {LEAD, ADMIN},
    "imports.start": {LEAD, ADMIN},
    "imports.open_cases": {LEAD},
}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_is_in_the_access_table(app):
    endpoints = {rule.endpoint for rule, _m in _routes(app)}
    assert endpoints == set(EXPECTED), "update EXPECTED for new or removed routes"


def test_every_view_declares_an_access_rule(app):
    missing = [name for name, view in app.view_functions.items()
               if name != "static" and getattr(view, "access_roles", None) is None]
    assert missing == []


@pytest.fixture
def ids(app, users):
    case = make_case(users["scout"])
    check = add_check(case)
    add_attendance(case)
    referral = add_referral(case)
    draft = Check(case_id=case.id, questionnaire_version="v1", status="draft", answers={})
    db.session.add(draft)
    measure = add_measure(case, "planned")
    reminder = reminders.create(case, users["scout"].id, utcnow(), "Termin vereinbaren")
    mail = outbox.queue(recipient="info@brinkmann.example.org", audience="business", template_key="check_results",
                        due_at=utcnow(), unique_key="access-test", case_id=case.id)
    run = ImportRun(filename="rolle.csv", stored_name="not-uploaded.csv", created_by_id=users["lead"].id)
    db.session.add(run)
    job = HandoverJob(created_by_id=users["lead"].id, to_owner_id=users["scout2"].id, total=3000)
    db.session.add(job)
    db.session.commit()
    return {
        "reminder_id": reminder.id, "rule_id": db.session.scalar(select(FollowUpRule.id)), "outbox_id": mail.id,
        "case_id": case.id, "business_id": case.business_id, "check_id": check.id,
        "workshop_id": db.session.scalar(select(Workshop.id)), "partner_id": db.session.scalar(select(Partner.id)),
        "user_id": users["scout2"].id, "draft_id": draft.id, "measure_id": measure.id, "step": 1,
        "referral_id": referral.id,
        "run_id": run.id, "job_id": job.id,
        "token": "not-a-signed-token",  # the public link pages answer a forged link with a clear page
        # The business's own municipality, postcode and trade: deleting them is refused, so every role's try
        # leaves them in place.
        "municipality_id": case.business.municipality_id, "code": case.business.postcode,
        "trade_id": case.business.trade_id, "key": "how_is_it_going",
    }


def _url(rule, ids) -> str:
    on_draft = rule.endpoint in ("checks.take", "checks.step", "checks.autosave")
    values = {arg: ids["draft_id"] if on_draft and arg == "check_id" else ids[arg] for arg in rule.arguments}
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)


# Allowed callers who are still sent to the login page by design.
SENDS_TO_LOGIN = {"web.index", "auth.logout", "auth.logout_everywhere"}

MATRIX = [(endpoint, role) for endpoint in sorted(EXPECTED) for role in (ANON, SCOUT, LEAD, ADMIN)]


@pytest.mark.parametrize(("endpoint", "role"), MATRIX)
def test_route_answers_each_role_as_expected(app, client, login, ids, endpoint, role):
    if role != ANON:
        login(role)
    for rule, method in _routes(app):
        if rule.endpoint != endpoint:
            continue
        response = client.open(_url(rule, ids), method=method, data={})
        where = f"{method} {rule.rule} as {role}"
        if endpoint == "scheduling.mail_html" and response.status_code == 200:
            # The one framed page: an email's own HTML with its inline styles, sandboxed, no script at all.
            csp = response.headers["Content-Security-Policy"]
            assert "default-src 'none'" in csp and "script-src" not in csp and "sandbox" in csp, where
            assert response.headers["X-Frame-Options"] == "SAMEORIGIN", where
        else:
            assert_secure_headers(response, where)
        if role in EXPECTED[endpoint]:
            assert response.status_code < 500, where
            assert response.status_code != 403, where
            assert "/login" not in response.headers.get("Location", "") or endpoint in SENDS_TO_LOGIN, where
        elif role == ANON:
            assert response.status_code == 302 and "/login" in response.headers["Location"], where
        else:
            assert response.status_code == 403, where
            assert "Zugriff verweigert" in response.get_data(as_text=True), where
