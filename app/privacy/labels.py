"""German labels for the data-protection pages: consent purposes and sources, log actions, audiences, and the
columns the export and the record of processing name (a column without a label shows its own name)."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.auth.forms import ROLE_LABELS
from app.cases.consents import Purpose, Source
from app.privacy.models import Action

PURPOSES = {Purpose.EMAIL: _l("Emails from the programme"), Purpose.REFERRAL: _l("Passing data to a partner")}
SOURCES = {Source.FORM: _l("recorded by staff"), Source.PUBLIC_REQUEST: _l("request on the public page"),
           Source.LINK: _l("link in an email"), Source.BACKFILL: _l("taken over from earlier records")}
ACTIONS = {Action.EXPORTED: _l("Data exported"), Action.ERASED: _l("Anonymised"),
           Action.RETENTION_RUN: _l("Retention run"), Action.RECORD_VIEWED: _l("Record of processing opened")}
AUDIENCES = {"business": _l("the business"), "partner": _l("a partner"), "staff": _l("staff")}
COLUMNS = {
    "id": _l("No."), "name": _l("Name"), "street": _l("Street and number"), "postcode": _l("Postcode"),
    "contact_name": _l("Contact person"), "phone": _l("Phone"), "email": _l("Email address"),
    "employees": _l("Employees"), "email_consent": _l("Email consent"), "consent_at": _l("Consent given on"),
    "consent_source": _l("How was the consent given?"), "register_number": _l("Handwerksrolle number"),
    "unsubscribed_at": _l("Unsubscribed on"), "created_at": _l("Created"), "business_id": _l("Business no."),
    "anonymised_at": _l("Anonymised on"),
    "case_id": _l("Case no."), "state": _l("State"), "opened_at": _l("Opened"), "closed_at": _l("Closed"),
    "purpose": _l("Purpose"), "granted_at": _l("Granted"), "source": _l("Source"), "note": _l("Note"),
    "text_version": _l("Text version"), "withdrawn_at": _l("Withdrawn"), "kind": _l("Kind"), "text": _l("Text"),
    "data": _l("Details"), "answers": _l("Answers"), "scores": _l("Scores"), "description": _l("Description"),
    "status": _l("Status"), "recipient": _l("Recipient"), "subject": _l("Subject"), "body_text": _l("Text"),
    "body_html": _l("Text (HTML)"), "sent_at": _l("Sent"), "due_at": _l("Due"), "title": _l("Title"),
    "lines": _l("Lines naming the business"), "html_lines": _l("Lines naming the business (HTML)"),
    "run_id": _l("Import no."), "line": _l("Line"), "action": _l("Result"), "reason": _l("Reason"),
}


def init_app(app: Flask) -> None:
    @app.context_processor
    def labels() -> dict:
        return {
            "consent_purpose_label": lambda key: PURPOSES.get(key, key),
            "consent_source_label": lambda key: SOURCES.get(key, key),
            "privacy_action_label": lambda key: ACTIONS.get(key, key),
            "audience_label": lambda key: AUDIENCES.get(key, key),
            "column_label": lambda key: COLUMNS.get(key, key),
            "role_label": lambda key: ROLE_LABELS.get(key, key),
        }
