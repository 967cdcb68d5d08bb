"""The team lead's pipeline."""

from flask import Blueprint, render_template

from app.auth.access import access

bp = Blueprint("reports", __name__)


@bp.get("/pipeline")
@access("lead")
def pipeline():
    """Cases per state, per scout and per municipality."""
    return render_template("reports/pipeline.html")
