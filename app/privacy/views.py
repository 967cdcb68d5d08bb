"""Data-protection pages: a business's rights (consents, export, erasure), the retention preview, the record of
processing and the audit log. Lead and admin only (the case page shows scouts the consent history)."""

import json

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import transactions
from app.auth.access import access
from app.cases import consents
from app.cases.models import Business, Case
from app.errors import DomainError
from app.extensions import db
from app.inputs import page_arg
from app.privacy import erasure, export, record, retention
from app.privacy.forms import EraseForm
from app.privacy.models import Action, PrivacyLog, log

bp = Blueprint("privacy", __name__)
OFFICERS = ("lead", "admin")


def _business_page(business: Business, form: EraseForm, status: int = 200):
    cases = db.session.scalars(select(Case).where(Case.business_id == business.id).order_by(Case.id)).all()
    entries = db.session.scalars(select(PrivacyLog).where(PrivacyLog.business_id == business.id)
                                 .order_by(PrivacyLog.id.desc())).all()
    return render_template("privacy/business.html", business=business, form=form, cases=cases, log=entries,
                           consents=consents.history(business.id), erased=erasure.is_erased(business.id)), status


@bp.get("/businesses/<int:business_id>/privacy")
@access(*OFFICERS)
def business(business_id: int):
    """A business's data-protection page: consent history, export, erasure."""
    return _business_page(db.get_or_404(Business, business_id), EraseForm())


@bp.post("/businesses/<int:business_id>/erase")
@access(*OFFICERS)
def erase(business_id: int):
    """Anonymise the business after its name was typed as confirmation (Art. 17)."""
    business = db.get_or_404(Business, business_id)
    form = EraseForm()
    if not form.validate_on_submit():
        return _business_page(business, form, 422)
    try:
        with transactions.refusable():
            erasure.erase_business(business, current_user, form.confirmation.data)
    except DomainError as refused:
        if refused.field == "confirmation":
            form.confirmation.errors = [refused.message]
        else:
            flash(refused.message, "error")
        return _business_page(db.session.get(Business, business_id), form, 422)
    flash(_("The business has been anonymised. The anonymous figures of the programme remain."), "success")
    return redirect(url_for("privacy.business", business_id=business_id))


def _exported(business_id: int, kind: str) -> dict:
    db.get_or_404(Business, business_id)
    data = export.export(business_id)
    log(Action.EXPORTED, current_user, business_id, format=kind)
    return data


@bp.get("/businesses/<int:business_id>/export.json")
@access(*OFFICERS)
def export_json(business_id: int):
    """Everything stored about the business as a JSON download (Art. 15)."""
    body = json.dumps(_exported(business_id, "json"), ensure_ascii=False, indent=2, default=str)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="auskunft-betrieb-{business_id}.json"'})


@bp.get("/businesses/<int:business_id>/export")
@access(*OFFICERS)
def export_page(business_id: int):
    """Everything stored about the business as a printable page (Art. 15)."""
    return render_template("privacy/export.html", data=_exported(business_id, "html"))


@bp.get("/privacy/retention")
@access(*OFFICERS)
def retention_page():
    """What the retention rule would anonymise today (a dry run: changes nothing)."""
    return render_template("privacy/retention.html", preview=retention.preview(),
                           months=current_app.config["RETENTION_MONTHS"])


@bp.get("/privacy/record")
@access(*OFFICERS)
def record_page():
    """The record of processing activities (Art. 30) for the data-protection officer."""
    log(Action.RECORD_VIEWED, current_user)
    return render_template("privacy/record.html", record=record.build(), core_purpose=record.CORE_PURPOSE)


@bp.get("/privacy/log")
@access(*OFFICERS)
def log_page():
    """Who exported, anonymised or ran the retention, newest first."""
    page = db.paginate(select(PrivacyLog).order_by(PrivacyLog.created_at.desc(), PrivacyLog.id.desc()),
                       page=page_arg(), per_page=50)
    return render_template("privacy/log.html", page=page)
