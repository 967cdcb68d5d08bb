"""Workshops and attendance."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import CASE_WORKERS, STAFF, access
from app.cases.models import Case
from app.cases.records import save_record
from app.extensions import db
from app.inputs import page_arg
from app.timeutil import utcnow
from app.workshops import services
from app.workshops.forms import AttendanceForm, WorkshopForm
from app.workshops.models import Workshop

bp = Blueprint("workshops", __name__)


@bp.get("/workshops")
@access(*STAFF)
def index():
    """List the workshops: upcoming first, then past ones."""
    page = db.paginate(services.listing(), page=page_arg(), per_page=current_app.config["PAGE_SIZE"])
    counts = services.attendance_counts([w.id for w in page.items])
    return render_template("workshops/index.html", page=page, counts=counts, now=utcnow())


def _edit(workshop: Workshop, template_title: str):
    form = WorkshopForm(obj=None if request.method == "POST" or workshop.id is None else workshop)
    form.topic_id.choices = [("", _("Please choose"))] + [(t.id, t.name) for t in services.topics()]
    if request.method == "GET" and workshop.id is not None:
        form.starts_at.data = services.utc_to_berlin(workshop.starts_at)
    if form.validate_on_submit():
        services.save_workshop(workshop, form.title.data, form.topic_id.data, form.starts_at.data, form.place.data,
                               form.description.data)
        flash(_("The workshop is saved."), "success")
        return redirect(url_for("workshops.show", workshop_id=workshop.id))
    return render_template("workshops/form.html", form=form, workshop=workshop,
                           title=template_title), 422 if form.errors else 200


@bp.route("/workshops/new", methods=["GET", "POST"])
@access(*STAFF)
def new():
    """Create a workshop."""
    return _edit(Workshop(), _("New workshop"))


@bp.route("/workshops/<int:workshop_id>/edit", methods=["GET", "POST"])
@access(*STAFF)
def edit(workshop_id: int):
    """Edit a workshop."""
    workshop = db.get_or_404(Workshop, workshop_id)
    return _edit(workshop, _("Edit workshop"))


@bp.get("/workshops/<int:workshop_id>")
@access(*STAFF)
def show(workshop_id: int):
    """A workshop with its attendance list."""
    workshop = db.get_or_404(Workshop, workshop_id)
    return render_template("workshops/show.html", workshop=workshop,
                           attendees=services.attendance_list(workshop.id))


@bp.route("/cases/<int:case_id>/attendance", methods=["GET", "POST"])
@access(*CASE_WORKERS)
def record_attendance(case_id: int):
    """Record that the case's business attended a workshop (and perhaps move the case)."""
    case = db.get_or_404(Case, case_id)
    form = AttendanceForm()
    workshops = {w.id: w for w in services.attendance_choices()}
    form.workshop_id.choices = [("", _("Please choose"))] + [
        (w.id, f"{format_datetime(w.starts_at, 'dd.MM.yyyy HH:mm')} – {w.title} ({w.place})")
        for w in workshops.values()
    ]
    form.offer_move(case, current_user, "attendance")
    if form.validate_on_submit() and (done := save_record(
            form, case, "attendance", _("The attendance is recorded."),
            lambda: services.record_attendance(case, workshops[form.workshop_id.data], current_user,
                                               form.wants_move))):
        return done
    return render_template("workshops/attendance.html", form=form, case=case,
                           recorded=services.attendances_for_case(case.id)), 422 if form.errors else 200
