"""Staff accounts, roles, sign-in and the access rule of every view."""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.auth import access, offboarding, views

    offboarding.init_app(app)
    app.register_blueprint(views.bp)
    access.init_app(app)
