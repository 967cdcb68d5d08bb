"""Follow-ups: reminders, follow-up rules, the outbox and its dispatcher, signed links, the scheduler's jobs."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.cases import registry
from app.cases.vocab import EventKind


def init_app(app: Flask) -> None:
    from app.scheduling import digest, mail_text_views, mails, panel, public_views, queries, reminders, rules, views

    mails.registry_of(app).builders[digest.TEMPLATE] = digest.digest_context
    cases = registry.of(app)
    cases.case_opened.append(rules.on_case_opened)
    cases.cases_opened_in_bulk.append(rules.on_cases_opened_in_bulk)
    cases.case_moved.append(rules.on_case_moved)
    cases.case_reassigned.append(reminders.follow_owner)
    cases.add_panel(registry.Panel("scheduling/_failed_mails.html", "failed-mails-heading",
                                   lambda case: queries.failed_mails_for_case(case.id), order=0, slot="top"))
    cases.add_panel(registry.Panel("scheduling/_case_reminders.html", "reminders-heading", panel.follow_ups_for,
                                   order=0, slot="wide"))
    cases.event_labels.update({
        EventKind.REMINDER_CREATED: _l("Reminder created"),
        EventKind.REMINDER_DONE: _l("Reminder done"),
        EventKind.REMINDER_SNOOZED: _l("Reminder postponed"),
        EventKind.FOLLOW_UPS_CANCELLED: _l("Follow-ups cancelled"),
        EventKind.EMAIL_CANCELLED: _l("Email not sent"),
        EventKind.EMAIL_FAILED: _l("Email could not be delivered"),
        EventKind.EMAIL_RETRIED: _l("Email sent again"),
        EventKind.BUSINESS_ANSWERED: _l("Business answered"),
        EventKind.UNSUBSCRIBED: _l("Business unsubscribed from emails"),
    })
    app.register_blueprint(views.bp)
    app.register_blueprint(public_views.bp)
    app.register_blueprint(mail_text_views.bp)
