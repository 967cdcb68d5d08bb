"""Partner directory and referrals."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import CASE_WORKERS, STAFF, access
from app.cases.models import Case
from app.cases.records import save_record
from app.extensions import db
from app.inputs import int_arg, page_arg
from app.partners import services
from app.partners.forms import KIND_LABELS, PartnerForm, ReferralForm
from app.partners.models import Partner

bp = Blueprint("partners", __name__)
EDITORS = ("lead", "admin")


@bp.get("/partners")
@access(*STAFF)
def index():
    """The partner directory, filterable by topic and kind."""
    topic_id = int_arg("topic")
    kind = request.args.get("kind") if request.args.get("kind") in KIND_LABELS else None
    page = db.paginate(services.directory(topic_id, kind), page=page_arg(), per_page=current_app.config["PAGE_SIZE"])
    return render_template("partners/index.html", page=page, topics=services.topics(), kinds=KIND_LABELS,
                           topic_id=topic_id, kind=kind, can_edit=current_user.role in EDITORS)


def _edit(partner: Partner, title: str):
    form = PartnerForm(obj=None if request.method == "POST" or partner.id is None else partner)
    form.topic_ids.choices = [(t.id, t.name) for t in services.topics()]
    if request.method == "GET" and partner.id is not None:
        form.topic_ids.data = [t.id for t in partner.topics]
    if form.validate_on_submit():
        try:
            services.save_partner(partner, form.data, form.topic_ids.data)
        except services.PartnerError as error:
            form[error.field].errors.append(error.message)
        else:
            flash(_("The partner is saved."), "success")
            return redirect(url_for("partners.index"))
    return render_template("partners/form.html", form=form, partner=partner, title=title), 422 if form.errors else 200


@bp.route("/partners/new", methods=["GET", "POST"])
@access(*EDITORS)
def new():
    """Add a partner to the directory."""
    return _edit(Partner(), _("New partner"))


@bp.route("/partners/<int:partner_id>/edit", methods=["GET", "POST"])
@access(*EDITORS)
def edit(partner_id: int):
    """Edit a partner."""
    return _edit(db.get_or_404(Partner, partner_id), _("Edit partner"))


@bp.route("/cases/<int:case_id>/referrals", methods=["GET", "POST"])
@access(*CASE_WORKERS)
def refer(case_id: int):
    """Refer the case to a partner for a topic, with the business's consent (and perhaps move the case)."""
    case = db.get_or_404(Case, case_id)
    form = ReferralForm()
    partners = {p.id: p for p in services.active_partners()}
    topics = {t.id: t for t in services.topics()}
    form.partner_id.choices = [("", _("Please choose"))] + [
        (p.id, f"{p.name}, {p.city}" if p.city else p.name) for p in partners.values()]
    form.topic_id.choices = [("", _("Please choose"))] + [(t.id, t.name) for t in topics.values()]
    form.offer_move(case, current_user, "referral")
    if form.validate_on_submit() and (done := save_record(
            form, case, "referral", _("The referral is recorded."),
            lambda: services.refer(case, partners[form.partner_id.data], topics[form.topic_id.data],
                                   form.consent.data, form.note.data, current_user, form.wants_move))):
        return done
    return render_template("partners/refer.html", form=form, case=case,
                           partners=list(partners.values())), 422 if form.errors else 200
