"""The administrator's maintenance of reference data: municipalities with their postcodes, and trades.

It sits above every domain package (tests/test_architecture.py): refusing to delete what businesses use needs
the cases package, which the reference package below it must not know.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.admin import views

    app.register_blueprint(views.bp)
