"""The import of businesses from the chamber's register (Handwerksrolle) and the lead's opening of cases for a
selection of them.

In the package order it sits beside scheduling, above cases: it writes businesses and opens cases (cases'
models and the `cases_opened_in_bulk` hooks through which scheduling and reports give the new cases their
follow-ups and funnel rows), and nothing below imports it. It needs nothing from scheduling or the packages above.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.imports import views

    app.register_blueprint(views.bp)
