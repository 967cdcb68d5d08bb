"""Caseload, case page, business forms."""

from flask import Blueprint

from app.auth.access import CASE_WORKERS, access

bp = Blueprint("cases", __name__)


@bp.get("/cases")
@access(*CASE_WORKERS)
def caseload():
    """The signed-in scout's caseload."""
    return "todo"


@bp.get("/businesses/new")
@access(*CASE_WORKERS)
def new_business():
    """Create a business and its case."""
    return "todo"
