"""Businesses, cases, notes, the timeline, measures and the state machine (the package the others build on)."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.cases import registry
from app.cases.vocab import EventKind


def init_app(app: Flask) -> None:
    from app.cases import activity, measures, measures_views, readmodel, views

    activity.listen()  # last_activity_at and awaiting_business_since follow every timeline entry
    cases = registry.init_app(app)
    # The pipeline's read model moves its counts in the same transaction as the case.
    cases.case_opened.append(readmodel.on_case_opened)
    cases.case_moved.append(readmodel.on_case_moved)
    cases.case_reassigned.append(readmodel.on_cases_reassigned)
    cases.business_moved.append(readmodel.on_business_moved)
    cases.guards["implemented_measure"] = measures.has_implemented_measure
    cases.add_panel(registry.Panel("measures/_case_panel.html", "measures-panel-heading",
                                   lambda case: measures.measures_for_case(case.id), order=40))
    cases.event_labels.update({
        EventKind.OPENED: _l("Case opened"),
        EventKind.MOVED: _l("State changed"),
        EventKind.NOTE: _l("Note"),
        EventKind.BUSINESS_EDITED: _l("Business data changed"),
        EventKind.REASSIGNED: _l("Case reassigned"),
        EventKind.MEASURE_RECORDED: _l("Measure recorded"),
    })
    app.register_blueprint(views.bp)
    app.register_blueprint(measures_views.bp)
