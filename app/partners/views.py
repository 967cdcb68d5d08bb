"""Partner directory and referrals."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import transactions
from app.auth.access import CASE_WORKERS, PUBLIC, STAFF, access
from app.cases.models import Case
from app.cases.records import save_record
from app.extensions import db
from app.inputs import int_arg, page_arg, parse_int
from app.partners import answers, figures, services
from app.partners.forms import KIND_LABELS, PartnerAnswerForm, PartnerForm, ReferralForm, WithdrawReferralForm
from app.partners.models import Partner, Referral

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


@bp.get("/partners/figures")
@access("lead")
def figures_page():
    """Per partner: referrals, answers from the partner, and referrals that led to an implemented measure."""
    return render_template("partners/figures.html", rows=figures.per_partner(), kinds=KIND_LABELS)


@bp.route("/cases/<int:case_id>/referrals", methods=["GET", "POST"])
@access(*CASE_WORKERS)
def refer(case_id: int):
    """Refer the case to a partner for a topic, with the business's consent (and perhaps move the case).

    The topic comes first (a plain GET form, no script needed); then only the partners with that topic are offered.
    """
    case = db.get_or_404(Case, case_id)
    form = ReferralForm()
    topics = {t.id: t for t in services.topics()}
    topic = topics.get(parse_int(request.form.get("topic_id")) if request.method == "POST" else int_arg("topic"))
    offered, without_topic, without_email = services.referral_choices(topic.id) if topic else ([], 0, 0)
    partners = {p.id: p for p in offered}
    form.topic_id.choices = [(t.id, t.name) for t in topics.values()]
    form.partner_id.choices = [("", _("Please choose"))] + [
        (p.id, f"{p.name}, {p.city}" if p.city else p.name) for p in offered]
    if topic and request.method == "GET":
        form.topic_id.data = topic.id
    form.offer_move(case, current_user, "referral")
    if form.validate_on_submit() and (done := save_record(
            form, case, "referral", _("The referral is recorded."),
            lambda: services.refer(case, partners[form.partner_id.data], topics[form.topic_id.data],
                                   form.consent.data, form.note.data, current_user, form.wants_move))):
        return done
    return render_template("partners/refer.html", form=form, case=case, topics=list(topics.values()), topic=topic,
                           without_topic=without_topic, without_email=without_email), 422 if form.errors else 200


@bp.route("/referrals/<int:referral_id>/withdraw", methods=["GET", "POST"])
@access(*CASE_WORKERS)
def withdraw(referral_id: int):
    """Withdraw a referral recorded by mistake, with a reason (it stays on the timeline)."""
    referral = db.get_or_404(Referral, referral_id)
    form = WithdrawReferralForm()
    if form.validate_on_submit():
        try:
            with transactions.refusable():
                services.withdraw(referral, current_user, form.reason.data)
        except services.PartnerError as error:
            (form[error.field].errors if error.field else form.form_errors).append(error.message)
        else:
            flash(_("The referral is withdrawn."), "success")
            return redirect(url_for("cases.show", case_id=referral.case_id))
    referral = db.session.get(Referral, referral_id)
    return render_template("partners/withdraw.html", form=form, referral=referral), 422 if form.errors else 200


@bp.route("/partner-answer/<token>", methods=["GET", "POST"])
@access(PUBLIC)
def answer(token: str):
    """The partner reports back on a referral through the signed link in its mail; the POST records it.

    Opening the link (GET) changes nothing, because mail scanners follow links.
    """
    try:
        referral = answers.open_link(token)
        preselected = request.args.get("a")  # each answer in the mail links here with its answer pre-selected
        form = PartnerAnswerForm(answer=preselected if preselected in answers.ANSWERS else referral.answer)
        if form.validate_on_submit():
            answers.record(referral, form.answer.data, form.note.data)
            return render_template("partners/answer_done.html", answer=answers.answer_label(form.answer.data))
    except answers.AnswerLinkError as error:
        return render_template("partners/answer_error.html", kind=error.kind), error.status
    last = answers.answer_label(referral.answer) if referral.answer else None
    return render_template("partners/answer.html", form=form, referral=referral, last=last,
                           business=db.session.get(Case, referral.case_id).business), 422 if form.errors else 200
