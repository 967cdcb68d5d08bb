"""The partner directory and referrals of cases to partners."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.cases import registry
from app.cases.vocab import EventKind


def init_app(app: Flask) -> None:
    from app.partners import answers, mails, services, views

    cases = registry.of(app)
    cases.guards["referral"] = services.has_referral
    cases.add_panel(registry.Panel("partners/_case_panel.html", "referrals-panel-heading",
                                   lambda case: services.referrals_for_case(case.id), order=30))
    cases.event_labels[EventKind.REFERRAL] = _l("Referral to a partner")
    cases.event_labels[EventKind.REFERRAL_ANSWERED] = _l("Report from the partner")
    cases.event_labels[EventKind.REFERRAL_WITHDRAWN] = _l("Referral withdrawn")
    app.add_template_global(answers.answer_label, "partner_answer_label")
    mails.init_app(app)
    app.register_blueprint(views.bp)
