"""The lead's steering: pipeline, review queue, hand-over, funnel, programme figures, targets and the funder's report
(the top of the package order: it reads them all)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.auth import offboarding as auth_offboarding
    from app.cases import registry
    from app.reports import (
        funder_views,
        handover_views,
        handover_worker,
        milestones,
        offboarding,
        review_views,
        support,
        views,
    )
    from app.scheduling.jobs import add_job

    # The funnel's read model moves its cells in the same transaction as the case.
    cases = registry.of(app)
    cases.case_opened.append(milestones.on_case_opened)
    cases.cases_opened_in_bulk.append(milestones.on_cases_opened_in_bulk)
    cases.cases_opened_in_bulk.append(support.on_cases_opened_in_bulk)
    cases.case_moved.append(milestones.on_case_moved)
    cases.case_reassigned.append(milestones.on_cases_reassigned)
    cases.business_moved.append(milestones.on_business_moved)
    # The funder report's supported businesses are settled just before each commit (app.reports.support).
    support.listen()
    app.register_blueprint(views.bp)
    app.register_blueprint(review_views.bp)
    app.register_blueprint(handover_views.bp)
    app.register_blueprint(funder_views.bp)
    # auth asks before disabling an account that owns cases; the hand-over page is here.
    handover = auth_offboarding.of(app)
    handover.owned_cases = offboarding.owned_cases
    handover.handover_endpoint = "handover.offboard"
    # Hand-overs too large for a request are worked here, a batch per commit (app.reports.handover_worker).
    add_job(app, "handover", handover_worker.handover_job, {"trigger": "interval", "seconds": 5})
