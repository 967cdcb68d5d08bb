"""Workshops and the attendance of businesses."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.cases import registry
from app.cases.vocab import EventKind


def init_app(app: Flask) -> None:
    from app.workshops import mails, services, views

    cases = registry.of(app)
    cases.guards["attendance"] = services.has_attendance
    cases.add_panel(registry.Panel("workshops/_case_panel.html", "workshops-panel-heading",
                                   lambda case: services.attendances_for_case(case.id), order=20))
    cases.event_labels[EventKind.WORKSHOP_ATTENDED] = _l("Workshop attendance recorded")
    mails.init_app(app)
    app.register_blueprint(views.bp)
