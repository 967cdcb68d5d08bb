"""The administrator's pages for the region (municipalities and postcodes) and the trades."""

import re

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import transactions
from app.admin import region, trades
from app.admin.forms import ANNEX_LABELS, MunicipalityForm, PostcodeForm, TradeForm
from app.auth.access import access
from app.errors import DomainError
from app.extensions import db
from app.reference.models import Municipality, Trade

bp = Blueprint("admin", __name__, url_prefix="/admin")
ADMIN = "admin"


def _refused(form, error: DomainError) -> None:
    """Show a refusal at its field, or above the form."""
    if error.field and error.field in form:
        form[error.field].errors.append(error.message)
    else:
        flash(error.message, "error")


# --- municipalities and postcodes --------------------------------------------------------------------------------


@bp.route("/municipalities", methods=["GET", "POST"])
@access(ADMIN)
def municipalities():
    """Every municipality of the region with its postcodes; add a municipality."""
    form = MunicipalityForm()
    status = 200
    if form.validate_on_submit():
        try:
            with transactions.refusable():
                town = region.save_municipality(None, name=form.name.data, district=form.district.data,
                                                actor=current_user)
        except DomainError as error:
            _refused(form, error)
            status = 422
        else:
            flash(_("%(name)s is added. Now add its postcodes.", name=town.name), "success")
            return redirect(url_for("admin.municipality", municipality_id=town.id))
    elif form.is_submitted():
        status = 422
    towns = db.session.scalars(select(Municipality).order_by(Municipality.name)).all()
    return render_template("admin/municipalities.html", towns=towns, form=form,
                           shared=region.shared_postcodes()), status


@bp.route("/municipalities/<int:municipality_id>", methods=["GET", "POST"])
@access(ADMIN)
def municipality(municipality_id: int):
    """Rename a municipality; its postcodes with forms to add and remove them."""
    town = db.get_or_404(Municipality, municipality_id)
    form = MunicipalityForm(obj=town)
    status = 200
    if form.validate_on_submit():
        try:
            with transactions.refusable():
                region.save_municipality(town, name=form.name.data, district=form.district.data,
                                         actor=current_user)
        except DomainError as error:
            _refused(form, error)
            status = 422
        else:
            flash(_("%(name)s is saved.", name=town.name), "success")
            return redirect(url_for("admin.municipality", municipality_id=town.id))
    elif form.is_submitted():
        status = 422
    return _municipality_page(town, form, PostcodeForm(formdata=None), status)


def _municipality_page(town: Municipality, form, postcode_form, status: int):
    town = db.session.get(Municipality, town.id)  # as the database holds it after a refusal
    return render_template("admin/municipality.html", town=town, form=form, postcode_form=postcode_form,
                           businesses=region.businesses_in(town), shared=region.shared_postcodes()), status


@bp.post("/municipalities/<int:municipality_id>/postcodes")
@access(ADMIN)
def add_postcode(municipality_id: int):
    """Add a postcode to the municipality."""
    town = db.get_or_404(Municipality, municipality_id)
    postcode_form = PostcodeForm()
    if postcode_form.validate_on_submit():
        try:
            with transactions.refusable():
                region.add_postcode(town, postcode_form.code.data, current_user)
        except DomainError as error:
            _refused(postcode_form, error)
        else:
            flash(_("%(code)s is added to %(name)s.", code=postcode_form.code.data.strip(), name=town.name),
                  "success")
            return redirect(url_for("admin.municipality", municipality_id=town.id))
    return _municipality_page(town, MunicipalityForm(obj=town, formdata=None), postcode_form, 422)


@bp.post("/municipalities/<int:municipality_id>/postcodes/<code>/remove")
@access(ADMIN)
def remove_postcode(municipality_id: int, code: str):
    """Remove a postcode from the municipality unless a business there has it."""
    town = db.get_or_404(Municipality, municipality_id)
    if not re.fullmatch(r"[0-9]{5}", code):
        abort(404)
    try:
        with transactions.refusable():
            region.remove_postcode(town, code, current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("%(code)s is removed from %(name)s.", code=code, name=town.name), "success")
    return redirect(url_for("admin.municipality", municipality_id=town.id))


@bp.post("/municipalities/<int:municipality_id>/delete")
@access(ADMIN)
def delete_municipality(municipality_id: int):
    """Delete a municipality that no business lies in."""
    town = db.get_or_404(Municipality, municipality_id)
    name = town.name
    try:
        with transactions.refusable():
            region.delete_municipality(town, current_user)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.municipality", municipality_id=municipality_id))
    flash(_("%(name)s is deleted.", name=name), "success")
    return redirect(url_for("admin.municipalities"))


# --- trades --------------------------------------------------------------------------------------------------------


def _save_trade(trade: Trade | None, form: TradeForm) -> Trade:
    number = int(form.number.data) if form.number.data else None
    return trades.save_trade(trade, number=number, name=form.name.data, annex=form.annex.data,
                             group=form.group.data, actor=current_user)


@bp.route("/trades", methods=["GET", "POST"])
@access(ADMIN)
def trade_list():
    """Every trade with its annex and group; add a trade."""
    form = TradeForm()
    status = 200
    if form.validate_on_submit():
        try:
            with transactions.refusable():
                trade = _save_trade(None, form)
        except DomainError as error:
            _refused(form, error)
            status = 422
        else:
            flash(_("%(name)s is added.", name=trade.name), "success")
            return redirect(url_for("admin.trade_list"))
    elif form.is_submitted():
        status = 422
    rows = db.session.scalars(select(Trade).order_by(Trade.annex, Trade.number, Trade.name)).all()
    return render_template("admin/trades.html", trades=rows, form=form, annexes=ANNEX_LABELS,
                           groups=trades.groups()), status


@bp.route("/trades/<int:trade_id>", methods=["GET", "POST"])
@access(ADMIN)
def trade(trade_id: int):
    """Change a trade's number, name, annex or group."""
    trade = db.get_or_404(Trade, trade_id)
    form = TradeForm(obj=trade, number=str(trade.number or ""))
    status = 200
    if form.validate_on_submit():
        try:
            with transactions.refusable():
                _save_trade(trade, form)
        except DomainError as error:
            _refused(form, error)
            status = 422
        else:
            flash(_("%(name)s is saved.", name=trade.name), "success")
            return redirect(url_for("admin.trade_list"))
    elif form.is_submitted():
        status = 422
    trade = db.session.get(Trade, trade_id)
    return render_template("admin/trade.html", trade=trade, form=form, businesses=trades.businesses_with(trade),
                           groups=trades.groups()), status


@bp.post("/trades/<int:trade_id>/delete")
@access(ADMIN)
def delete_trade(trade_id: int):
    """Delete a trade that no business has."""
    trade = db.get_or_404(Trade, trade_id)
    name = trade.name
    try:
        with transactions.refusable():
            trades.delete_trade(trade, current_user)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.trade", trade_id=trade_id))
    flash(_("%(name)s is deleted.", name=name), "success")
    return redirect(url_for("admin.trade_list"))
