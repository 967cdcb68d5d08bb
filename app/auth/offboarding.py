"""Disabling an account that still owns cases: auth asks first, and a higher package answers.

auth is the lowest package and knows nothing of cases. The package that does (reports) fills this registry
in its init_app: how many cases an account owns, and the page that hands them over before the account is
disabled. Without a provider (auth alone) an account is simply disabled.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

from app.auth.models import User

KEY = "procheck.auth.offboarding"


@dataclass
class Offboarding:
    owned_cases: Callable[[User], int] | None = None
    handover_endpoint: str | None = None  # a view taking user_id


def init_app(app: Flask) -> Offboarding:
    return app.extensions.setdefault(KEY, Offboarding())


def of(app: Flask) -> Offboarding:
    return app.extensions[KEY]


def handover_page(user: User) -> str | None:
    """The endpoint to send the admin to before disabling `user`, when the account owns cases."""
    registry = current_app.extensions[KEY]
    if registry.owned_cases is None or registry.handover_endpoint is None:
        return None
    return registry.handover_endpoint if registry.owned_cases(user) > 0 else None
