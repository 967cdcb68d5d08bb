"""Workshops as events: invitations by the check's gaps, registrations, the check-in and attendance."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.cases import registry
from app.cases.vocab import EventKind


def init_app(app: Flask) -> None:
    from app.workshops import mails, public_views, services, views

    cases = registry.of(app)
    cases.guards["attendance"] = services.has_attendance
    cases.add_panel(registry.Panel("workshops/_case_panel.html", "workshops-panel-heading",
                                   lambda case: services.case_workshops(case.id), order=20))
    cases.event_labels.update({
        EventKind.WORKSHOP_ATTENDED: _l("Workshop attendance recorded"),
        EventKind.WORKSHOP_INVITED: _l("Invited to a workshop"),
        EventKind.WORKSHOP_REGISTRATION: _l("Workshop registration"),
        EventKind.ATTENDANCE_WITHDRAWN: _l("Workshop attendance withdrawn"),
    })
    mails.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(public_views.bp)
