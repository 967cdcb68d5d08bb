"""Caseload, case page, business forms, notes and moves."""


from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import transactions
from app.auth.access import CASE_WORKERS, access
from app.auth.models import Role, User
from app.auth.services import assignable_scouts
from app.cases import queries, registry, services, workflow
from app.cases.forms import CHANNEL_LABELS, BusinessForm, MoveForm, NoteForm
from app.cases.models import Business, Case, refuse_anonymised
from app.errors import DomainError
from app.extensions import db
from app.inputs import page_arg, parse_int

bp = Blueprint("cases", __name__)


@bp.get("/cases")
@access(*CASE_WORKERS)
def caseload():
    """The signed-in scout's caseload: filter by state, search, soonest follow-up first."""
    owner = request.args.get("owner", "me" if current_user.role == "scout" else "all")
    owner_id = current_user.id if owner == "me" else parse_int(owner)  # anything else: everyone's cases
    state = request.args.get("state") if request.args.get("state") in workflow.STATES else None
    search = request.args.get("q", "")
    page = queries.caseload(owner_id, state, search, page_arg(), current_app.config["PAGE_SIZE"])
    scouts = db.session.scalars(select(User).where(User.role.in_(CASE_WORKERS), User.active).order_by(User.name))
    return render_template("cases/caseload.html", page=page, counts=page.counts, cap=queries.SEARCH_COUNT_CAP,
                           owner=owner, state=state, search=search, scouts=scouts)


@bp.get("/cases/<int:case_id>")
@access(*CASE_WORKERS)
def show(case_id: int):
    """The case: business data, state, possible moves, records and the timeline."""
    return _render_case(db.get_or_404(Case, case_id), NoteForm())


def _render_case(case: Case, note_form: NoteForm, status: int = 200,
                 retry: MoveForm | None = None):
    events = queries.timeline(case.id, page_arg())
    return render_template(
        "cases/show.html", case=case, events=events, options=workflow.options(case, current_user),
        unmet=workflow.unmet(case),
        retry=retry, note_form=note_form, channel_labels=CHANNEL_LABELS,
        panels=[(panel, panel.items(case)) for panel in registry.current().panels],
    ), status


@bp.post("/cases/<int:case_id>/move")
@access(*CASE_WORKERS)
def move(case_id: int):
    """Move the case to another state through the state machine."""
    case = db.get_or_404(Case, case_id)
    form = MoveForm()
    version = parse_int(form.version.data)
    if not form.validate_on_submit() or version is None:
        abort(400)
    try:
        with transactions.refusable():
            workflow.move(case, form.target.data, current_user, reason=form.reason.data or "",
                          expected_version=version)
    except workflow.MoveRefused as refused:
        # Show the case as it is now, keeping what the user typed, with the reason it failed.
        flash(refused.message, "error")
        status = 409 if isinstance(refused, workflow.Conflict) else 422
        return _render_case(db.session.get(Case, case_id), NoteForm(), status, retry=form)
    flash(_("The case is now “%(state)s”.", state=workflow.state_label(case.state)), "success")
    return redirect(url_for("cases.show", case_id=case_id, _anchor="moves-heading"))


@bp.post("/cases/<int:case_id>/notes")
@access(*CASE_WORKERS)
def add_note(case_id: int):
    """Log a call, visit or other note on the timeline."""
    case = db.get_or_404(Case, case_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _render_case(case, form, 422)
    services.add_note(case, current_user, form.text.data, form.channel.data)
    flash(_("Note saved."), "success")
    return redirect(url_for("cases.show", case_id=case_id, _anchor="timeline-heading"))



def _owner_choices(form: BusinessForm) -> None:
    form.owner_id.choices = [(u.id, u.name) for u in assignable_scouts()]


def _status(form: BusinessForm) -> int:
    """A form sent back with errors answers 422."""
    return 422 if form.errors else 200


def _values(form: BusinessForm) -> dict:
    return {name: form[name].data for name in services.BUSINESS_FIELDS}


@bp.route("/businesses/new", methods=["GET", "POST"])
@access(*CASE_WORKERS)
def new_business():
    """Create a business and open its case; warns about a likely duplicate first."""
    form = BusinessForm()
    _owner_choices(form)
    duplicates, twin = [], None
    if form.validate_on_submit():
        twin = _refuse_register_twin(form)
        duplicates = [] if twin else services.similar_businesses(form.name.data, form.postcode.data)
        if not twin and (not duplicates or form.confirm_duplicate.data):
            business = Business()
            services.fill_business(business, _values(form), current_user)
            owner = services.case_owner(current_user, form.owner_id.data)
            case = services.open_business_case(business, owner, current_user)
            flash(_("Business created; its case is open."), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    elif request.method == "GET" and current_user.role == Role.SCOUT:
        form.owner_id.data = current_user.id
    return _form_page(form, None, duplicates, twin)


def _refuse_register_twin(form: BusinessForm, business: Business | None = None) -> Business | None:
    """A Handwerksrolle number that another business has already: the field's error, and that business."""
    twin = services.register_twin(form.register_number.data, business.id if business else None)
    if twin:
        form.register_number.errors.append(_("Another business has this Handwerksrolle number already."))
    return twin


def _form_page(form: BusinessForm, business: Business | None, duplicates: list[Business], twin: Business | None):
    """The business form again: with the likely duplicates and the register number's twin, each linked."""
    case_ids = services.latest_case_ids(duplicates + ([twin] if twin else []))
    return render_template("cases/business_form.html", form=form, duplicates=duplicates, twin=twin,
                           case_ids=case_ids, business=business), _status(form)


@bp.route("/businesses/<int:business_id>/edit", methods=["GET", "POST"])
@access(*CASE_WORKERS)
def edit_business(business_id: int):
    """Correct a business's data; the change is noted on its case's timeline. An anonymised business has no form:
    back to its case with the reason."""
    business = db.get_or_404(Business, business_id)
    form = BusinessForm(obj=business)
    del form.owner_id, form.confirm_duplicate
    twin = None
    try:
        with transactions.refusable():
            refuse_anonymised(business)
            if form.validate_on_submit() and not (twin := _refuse_register_twin(form, business)):
                case = services.update_business(business, _values(form), current_user)
                flash(_("Business data saved."), "success")
                return _back_to_case(case)
    except DomainError as refused:
        flash(refused.message, "error")
        return _back_to_case(services.latest_case(db.session.get(Business, business_id)))
    return _form_page(form, business, [], twin)


def _back_to_case(case: Case | None):
    return redirect(url_for("cases.show", case_id=case.id) if case else url_for("cases.caseload"))
