"""Trades of the Handwerksordnung: add, change, delete what no business has. Every change is on the audit trail.

The pipeline, the check figures and the funnel count businesses by trade group in read models. Moving a trade
that businesses have into another group would leave those counts behind, so it is refused; a trade without
businesses changes group freely. A changed annex is recounted in the funder report's read model at once.
"""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import func, select

from app.auth import audit
from app.auth.models import User
from app.cases.models import Business
from app.errors import DomainError
from app.extensions import db
from app.reference.models import Trade
from app.reports import support
from app.reports.funder import ANNEXES


def businesses_with(trade: Trade) -> int:
    if trade.id is None:
        return 0
    return db.session.scalar(select(func.count()).select_from(Business).where(Business.trade_id == trade.id))


def groups() -> list[str]:
    return list(db.session.scalars(select(Trade.group).distinct().order_by(Trade.group)))


def required_text(value: str | None, field: str, limit: int, empty_message) -> str:
    """One line of text, spaces collapsed; a German refusal when empty or too long."""
    value = " ".join((value or "").split())
    if not value:
        raise DomainError(empty_message, field)
    if len(value) > limit:
        raise DomainError(_l("At most %(max)d characters, please.", max=limit), field)
    return value


def save_trade(trade: Trade | None, *, number: int | None, name: str, annex: str, group: str,
               actor: User) -> Trade:
    """Add a trade (None) or change one; refused with a German message, nothing changed."""
    name = required_text(name, "name", 120, _l("Please enter the trade's name."))
    group = required_text(group, "group", 80, _l("Please enter the trade group."))
    if annex not in ANNEXES:
        raise DomainError(_l("Please choose annex A, B1 or B2."), "annex")
    other = db.session.scalar(select(Trade).where(func.lower(Trade.name) == name.lower()))
    if other is not None and other is not trade:
        raise DomainError(_l("A trade named “%(name)s” exists already.", name=name), "name")
    if trade is not None and group != trade.group and (count := businesses_with(trade)):
        raise DomainError(lazy_ngettext(
            "The group cannot change while %(num)d business has this trade: the pipeline and the reports count "
            "businesses by group.",
            "The group cannot change while %(num)d businesses have this trade: the pipeline and the reports count "
            "businesses by group.", count), "group")
    if trade is None:
        trade = Trade(number=number, name=name, annex=annex, group=group)
        db.session.add(trade)
        audit.record(actor, "trade.created", name, annex=annex, group=group, number=number)
    else:
        changes = {field: [old, new] for field, old, new in (
            ("number", trade.number, number), ("name", trade.name, name), ("annex", trade.annex, annex),
            ("group", trade.group, group)) if old != new}
        if changes:
            audit.record(actor, "trade.changed", name, **changes)
        annex_changed = trade.annex != annex
        trade.number, trade.name, trade.annex, trade.group = number, name, annex, group
        if annex_changed:  # the funder report counts businesses by annex: its read model recounts this trade's
            db.session.flush()
            support.refresh(db.session.scalars(select(Business.id).where(Business.trade_id == trade.id)))
    db.session.flush()
    return trade


def delete_trade(trade: Trade, actor: User) -> None:
    if count := businesses_with(trade):
        raise DomainError(lazy_ngettext("“%(name)s” cannot be deleted: %(num)d business has this trade.",
                                        "“%(name)s” cannot be deleted: %(num)d businesses have this trade.", count,
                                        name=trade.name))
    audit.record(actor, "trade.deleted", trade.name)
    db.session.delete(trade)
    db.session.flush()
