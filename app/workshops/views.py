"""Workshops and attendance."""

from flask import Blueprint, render_template

from app.auth.access import STAFF, access

bp = Blueprint("workshops", __name__)


@bp.get("/workshops")
@access(*STAFF)
def index():
    """List the workshops."""
    return render_template("workshops/index.html")
