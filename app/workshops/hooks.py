"""What the checks package tells the workshops package, registered in checks.init_app.

workshops sits below checks (app/checks recommends workshops), so it cannot import the check's scores;
the invitation list asks this hook which cases have their weakest dimensions on a workshop's topics.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import Select

# topic keys -> select(case_id, gap): the cases whose weakest dimensions cover one of the topics, and the
# lowest score among those dimensions (the gap the workshop would close).
WeakCases = Callable[[set[str]], Select]


@dataclass
class WorkshopHooks:
    weak_cases: WeakCases | None = None


KEY = "procheck.workshops"


def of(app: Flask) -> WorkshopHooks:
    return app.extensions.setdefault(KEY, WorkshopHooks())


def current() -> WorkshopHooks:
    return current_app.extensions.setdefault(KEY, WorkshopHooks())
