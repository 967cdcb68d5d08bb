"""The digitalisation check: questionnaires, scoring, results, recommendations and the self-check."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.cases import registry
from app.cases.vocab import EventKind


def init_app(app: Flask) -> None:
    from app.checks import figures, gaps, mails, public_views, services, views
    from app.workshops import hooks as workshop_hooks

    cases = registry.of(app)
    cases.guards["completed_check"] = services.has_completed_check
    cases.business_moved.append(figures.on_business_moved)
    cases.add_panel(registry.Panel("checks/_case_panel.html", "checks-panel-heading",
                                   lambda case: services.checks_for_case(case.id), order=10))
    cases.event_labels.update({
        EventKind.CHECK_COMPLETED: _l("Digitalisation check completed"),
        EventKind.SELF_CHECK_SENT: _l("Self-check link sent"),
        EventKind.SELF_CHECK_SUBMITTED: _l("Self-check submitted"),
    })
    workshop_hooks.of(app).weak_cases = gaps.weak_cases
    mails.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(public_views.bp)
