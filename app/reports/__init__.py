"""The lead's pipeline and the programme's figures (the top of the package order: it reads them all)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.reports import funder_views, views  # noqa: F401  (funder_views adds its routes to views.bp)

    app.register_blueprint(views.bp)
