"""Partner directory and referrals."""

from flask import Blueprint, render_template

from app.auth.access import STAFF, access

bp = Blueprint("partners", __name__)


@bp.get("/partners")
@access(*STAFF)
def index():
    """List the partners."""
    return render_template("partners/index.html")
