"""Workshops: the list, the form, the workshop page with its check-in, invitations, attendance and corrections."""

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from app import transactions
from app.auth.access import CASE_WORKERS, STAFF, access
from app.cases.models import Case
from app.cases.records import save_record
from app.errors import DomainError
from app.extensions import db
from app.inputs import int_arg, page_arg
from app.timeutil import utcnow
from app.workshops import attendance, ics, invitations, registrations, services
from app.workshops.forms import (
    REGISTRATION_LABELS,
    STATUS_LABELS,
    AttendanceForm,
    CheckInForm,
    InviteForm,
    WithdrawAttendanceForm,
    WorkshopForm,
    parse_listed,
    parse_marks,
)
from app.workshops.models import Attendance, Workshop

bp = Blueprint("workshops", __name__)
WALK_IN_TERM_MAX = 100


@bp.context_processor
def _labels() -> dict:
    return {"status_labels": STATUS_LABELS, "registration_labels": REGISTRATION_LABELS}


@bp.get("/workshops")
@access(*STAFF)
def index():
    """List the workshops: upcoming first, then past ones."""
    page = db.paginate(services.listing(), page=page_arg(), per_page=current_app.config["PAGE_SIZE"])
    counts = services.attendance_counts([w.id for w in page.items])
    return render_template("workshops/index.html", page=page, counts=counts, now=utcnow())


def _edit(workshop: Workshop, template_title: str):
    form = WorkshopForm(obj=None if request.method == "POST" or workshop.id is None else workshop)
    form.topic_ids.choices = [(t.id, t.name) for t in services.topics()]
    if request.method == "GET" and workshop.id is not None:
        form.topic_ids.data = [t.id for t in workshop.all_topics]
        form.starts_at.data = services.utc_to_berlin(workshop.starts_at)
        if workshop.registration_deadline:
            form.registration_deadline.data = services.utc_to_berlin(workshop.registration_deadline)
    if form.validate_on_submit():
        values = services.WorkshopValues(
            form.title.data, form.topic_ids.data, form.starts_at.data, form.duration_minutes.data,
            form.place.data or "", form.online_url.data or "", form.capacity.data, form.registration_deadline.data,
            form.status.data, form.description.data)
        try:
            with transactions.refusable():
                services.save_workshop(workshop, values, current_user)
        except DomainError as error:
            form[error.field].errors.append(error.message)
        else:
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
    """Edit a workshop (a new time or place, or the cancellation, reaches the registered businesses)."""
    workshop = db.get_or_404(Workshop, workshop_id)
    return _edit(workshop, _("Edit workshop"))


def _show(workshop: Workshop, form: CheckInForm, status: int = 200):
    term = " ".join(request.args.get("q", "").split())[:WALK_IN_TERM_MAX]
    return render_template(
        "workshops/show.html", workshop=workshop, form=form, rows=services.check_in_list(workshop.id),
        too_early=attendance.attendance_refusal(workshop), term=term,
        walk_ins=services.walk_in_matches(workshop.id, term) if term else [],
        can_check_in=current_user.role in CASE_WORKERS), status


@bp.get("/workshops/<int:workshop_id>")
@access(*STAFF)
def show(workshop_id: int):
    """A workshop with its registrations, the check-in and the walk-in search."""
    return _show(db.get_or_404(Workshop, workshop_id), CheckInForm())


@bp.get("/workshops/<int:workshop_id>/workshop.ics")
@access(*STAFF)
def calendar(workshop_id: int):
    """The workshop as a calendar entry."""
    workshop = db.get_or_404(Workshop, workshop_id)
    return Response(ics.for_workshop(workshop), mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="workshop-{workshop.id}.ics"'})


@bp.post("/workshops/<int:workshop_id>/check-in")
@access(*CASE_WORKERS)
def check_in(workshop_id: int):
    """Save attended / no-show for the whole list (and walk-ins) at once, moving the cases where possible."""
    workshop = db.get_or_404(Workshop, workshop_id)
    form = CheckInForm()
    marks = parse_marks(request.form) if form.validate_on_submit() else None
    everyone = form.all_registered.data  # the one-step button: the registered without a mark count as attended
    if marks is None or not (marks or everyone):
        flash(_("Please mark at least one business as attended or not attended.") if marks == {} else
              _("The check-in list could not be read. Please reload the page."), "error")
        return _show(workshop, form, 422)
    try:
        with transactions.refusable():
            if everyone:
                result = attendance.check_in_registered(workshop, marks, parse_listed(request.form), current_user,
                                                        form.move_on.data)
            else:
                result = attendance.check_in(workshop, marks, current_user, form.move_on.data)
    except DomainError as error:
        flash(error.message, "error")
        return _show(db.get_or_404(Workshop, workshop_id), form, 409)
    flash(_("Check-in saved: %(attended)d attended, %(no_show)d did not come.", attended=result.attended,
            no_show=result.no_show), "success")
    if result.moved:
        flash(_("%(count)d cases are now “Workshop attended”.", count=result.moved), "success")
    for business, why in result.not_moved:
        flash(_("%(business)s was not moved: %(reason)s", business=business, reason=why), "warning")
    return redirect(url_for("workshops.show", workshop_id=workshop.id))


@bp.route("/workshops/<int:workshop_id>/invite", methods=["GET", "POST"])
@access(*CASE_WORKERS)
def invite(workshop_id: int):
    """The businesses whose weakest dimensions match the workshop's topics; preview and queue the invitation."""
    workshop = db.get_or_404(Workshop, workshop_id)
    per_page = current_app.config["PAGE_SIZE"]
    candidates = invitations.candidates(workshop, page_arg(), per_page)
    form = InviteForm()
    form.case_ids.choices = [(row.case_id, row.business) for row in candidates.rows]
    if request.method == "GET":
        form.case_ids.data = [row.case_id for row in candidates.rows]
    if form.validate_on_submit():
        try:
            with transactions.refusable():
                queued = invitations.invite(workshop, form.case_ids.data, current_user)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("%(count)d invitations are queued.", count=queued), "success")
            return redirect(url_for("workshops.invite", workshop_id=workshop.id))
    preview_id = int_arg("preview") or (candidates.rows[0].case_id if candidates.rows else None)
    subject, text = invitations.preview(workshop, preview_id)
    return render_template("workshops/invite.html", workshop=workshop, form=form, candidates=candidates,
                           subject=subject, text=text, preview_id=preview_id,
                           closed=registrations.registration_refusal(workshop)), 422 if form.errors else 200


@bp.route("/workshops/<int:workshop_id>/cases/<int:case_id>/withdraw-attendance", methods=["GET", "POST"])
@access(*CASE_WORKERS)
def withdraw_attendance(workshop_id: int, case_id: int):
    """Withdraw an attendance recorded by mistake, with a reason (kept on the timeline)."""
    record = db.first_or_404(db.select(Attendance).where(Attendance.workshop_id == workshop_id,
                                                         Attendance.case_id == case_id))
    case = db.session.get(Case, case_id)
    form = WithdrawAttendanceForm()
    if form.validate_on_submit():
        try:
            with transactions.refusable():
                attendance.withdraw(record, current_user, form.reason.data)
        except DomainError as error:
            (form[error.field].errors if error.field in form else form.reason.errors).append(error.message)
        else:
            flash(_("The attendance is withdrawn."), "success")
            return redirect(url_for("workshops.show", workshop_id=workshop_id))
    return render_template("workshops/withdraw.html", form=form, record=record, case=case), \
        422 if form.errors else 200


@bp.route("/cases/<int:case_id>/attendance", methods=["GET", "POST"])
@access(*CASE_WORKERS)
def record_attendance(case_id: int):
    """Record that the case's business attended a workshop (and perhaps move the case)."""
    case = db.get_or_404(Case, case_id)
    form = AttendanceForm()
    workshops = {w.id: w for w in services.attendance_choices()}
    form.workshop_id.choices = [("", _("Please choose"))] + [
        (w.id, f"{format_datetime(w.starts_at, 'dd.MM.yyyy HH:mm')} – {w.title} ({w.place or w.online_url})")
        for w in workshops.values()
    ]
    form.offer_move(case, current_user, "attendance")
    if form.validate_on_submit() and (done := save_record(
            form, case, "attendance", _("The attendance is recorded."),
            lambda: attendance.record_attendance(case, workshops[form.workshop_id.data], current_user,
                                                 form.wants_move))):
        return done
    return render_template("workshops/attendance.html", form=form, case=case,
                           recorded=services.attendances_for_case(case.id)), 422 if form.errors else 200
