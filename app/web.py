"""App-wide routes and template helpers: start page, health check, help, error pages, filters."""

from flask import Blueprint, Flask, current_app, jsonify, redirect, render_template, url_for
from flask_babel import format_date, format_datetime
from flask_login import current_user
from sqlalchemy import text

from app import counting
from app.auth.access import PUBLIC, STAFF, access
from app.auth.views import home_for
from app.cases import diagram, registry, workflow
from app.chamber import chamber_name
from app.extensions import db
from app.timeutil import due_status, is_overdue, utcnow

bp = Blueprint("web", __name__)


@bp.get("/")
@access(PUBLIC)
def index():
    """Send signed-in staff to their start page, everyone else to the login."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


@bp.get("/healthz")
@access(PUBLIC)
def healthz():
    """Report whether the database answers (for load balancers and monitoring)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "down"; the reason goes into the answer
        current_app.logger.warning("health check: database down: %s", exc)
        return jsonify(status="error", database="down"), 503
    return jsonify(status="ok", database="up")


@bp.get("/help")
@access(*STAFF)
def help_page():
    """Help for scouts: the day's tasks, what each state means, what happens automatically (from the rules)."""
    from app.scheduling import rule_admin  # the composition root may read any package; cases may not

    return render_template("help.html", moves=workflow.MOVES, diagram=diagram.svg(),
                           rules=rule_admin.rules_by_state())


def _error(template: str, code: int):
    def handler(_error):
        return render_template(template, code=code), code

    return handler


def register_web(app: Flask) -> None:
    app.register_blueprint(bp)
    for code in (400, 403, 404, 405, 500):
        app.register_error_handler(code, _error("errors/error.html", code))
    app.add_template_filter(lambda value: format_datetime(value, "dd.MM.yyyy HH:mm") if value else "", "dt")
    app.add_template_filter(lambda value: format_date(value, "dd.MM.yyyy") if value else "", "d")
    app.add_template_filter(lambda value: format_datetime(value, "HH:mm") if value else "", "hm")
    app.add_template_filter(due_status, "due_status")  # templates/_due.html says "heute" / "überfällig seit …"
    # A count that stops at `cap` (to spare a full scan) shows as "1.000+" beyond it.
    app.add_template_filter(counting.shown, "capped")
    app.add_template_test(is_overdue, "overdue")

    @app.context_processor
    def globals_for_templates():
        return {
            "state_label": workflow.state_label,
            "event_label": lambda kind: str(registry.current().event_labels.get(kind, kind)),
            "STATES": workflow.STATES,
            "idle_timeout_minutes": current_app.config["IDLE_TIMEOUT_MINUTES"],
            "now": utcnow(),
            "chamber": chamber_name(current_app.config),
        }
