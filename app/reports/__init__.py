"""The lead's pipeline and the programme's figures (the top of the package order: it reads them all)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.reports import views

    app.register_blueprint(views.bp)
