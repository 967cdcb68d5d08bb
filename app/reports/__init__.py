"""The lead's pipeline and the programme's figures (the top of the package order: it reads them all)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.auth import offboarding as auth_offboarding
    from app.reports import handover_views, offboarding, review_views, views

    app.register_blueprint(views.bp)
    app.register_blueprint(review_views.bp)
    app.register_blueprint(handover_views.bp)
    # auth asks before disabling an account that owns cases; the hand-over page is here.
    handover = auth_offboarding.of(app)
    handover.owned_cases = offboarding.owned_cases
    handover.handover_endpoint = "handover.offboard"
