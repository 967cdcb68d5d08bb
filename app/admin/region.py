"""Municipalities and their postcodes: add, rename, delete what no business uses, add and remove postcodes.

A postcode may belong to two municipalities (a row for each). Every change is on the audit trail.
"""

import re

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from app.admin.trades import required_text
from app.auth import audit
from app.auth.models import User
from app.cases.models import Business
from app.errors import DomainError
from app.extensions import db
from app.reference.models import Municipality, Postcode

POSTCODE = re.compile(r"[0-9]{5}")


def _name_taken(name: str, municipality: Municipality | None) -> bool:
    other = db.session.scalar(select(Municipality).where(func.lower(Municipality.name) == name.lower()))
    return other is not None and other is not municipality


def save_municipality(municipality: Municipality | None, *, name: str, district: str, actor: User) -> Municipality:
    """Add a municipality (None) or rename one; the name is unique (case-insensitive)."""
    name = required_text(name, "name", 120, _l("Please enter the municipality's name."))
    district = required_text(district, "district", 120, _l("Please enter the district."))
    if _name_taken(name, municipality):
        raise DomainError(_l("A municipality named “%(name)s” exists already.", name=name), "name")
    if municipality is None:
        municipality = Municipality(name=name, district=district)
        db.session.add(municipality)
        audit.record(actor, "municipality.created", name, district=district)
    elif (municipality.name, municipality.district) != (name, district):
        audit.record(actor, "municipality.renamed", name, name=[municipality.name, name],
                     district=[municipality.district, district])
        municipality.name, municipality.district = name, district
    db.session.flush()
    return municipality


def businesses_in(municipality: Municipality) -> int:
    return db.session.scalar(select(func.count()).select_from(Business)
                             .where(Business.municipality_id == municipality.id))


def delete_municipality(municipality: Municipality, actor: User) -> None:
    """Delete a municipality no business lies in, with its postcodes."""
    if count := businesses_in(municipality):
        raise DomainError(lazy_ngettext("“%(name)s” cannot be deleted: %(num)d business lies there.",
                                        "“%(name)s” cannot be deleted: %(num)d businesses lie there.", count,
                                        name=municipality.name))
    name = municipality.name
    try:
        with db.session.begin_nested():  # a figure of the reports may still name it: then nothing is deleted
            for postcode in list(municipality.postcodes):
                db.session.delete(postcode)
            db.session.delete(municipality)
    except IntegrityError as error:
        raise DomainError(_l("“%(name)s” cannot be deleted: the reports still count figures for it.",
                             name=name)) from error
    audit.record(actor, "municipality.deleted", name)
    db.session.flush()


def add_postcode(municipality: Municipality, code: str, actor: User) -> Postcode:
    """Add a five-digit postcode; it may belong to another municipality as well."""
    code = (code or "").strip()
    if not POSTCODE.fullmatch(code):
        raise DomainError(_l("A postcode has exactly five digits."), "code")
    if any(p.code == code for p in municipality.postcodes):
        raise DomainError(_l("%(code)s belongs to %(name)s already.", code=code, name=municipality.name), "code")
    postcode = Postcode(code=code, municipality=municipality)
    db.session.add(postcode)
    audit.record(actor, "postcode.added", f"{code} {municipality.name}")
    db.session.flush()
    return postcode


def remove_postcode(municipality: Municipality, code: str, actor: User) -> None:
    """Remove a postcode from a municipality unless a business there has it."""
    postcode = db.session.get(Postcode, (code, municipality.id))
    if postcode is None:
        raise DomainError(_l("%(code)s does not belong to %(name)s.", code=code, name=municipality.name))
    used = db.session.scalar(select(exists().where(Business.municipality_id == municipality.id,
                                                   Business.postcode == code)))
    if used:
        raise DomainError(_l("%(code)s cannot be removed from %(name)s: businesses there have this postcode.",
                             code=code, name=municipality.name))
    db.session.delete(postcode)
    audit.record(actor, "postcode.removed", f"{code} {municipality.name}")
    db.session.flush()


def shared_postcodes() -> dict[str, list[str]]:
    """Postcodes that belong to more than one municipality: code -> the municipalities' names."""
    shared = select(Postcode.code).group_by(Postcode.code).having(func.count() > 1).scalar_subquery()
    rows = db.session.execute(select(Postcode.code, Municipality.name).join(Municipality)
                              .where(Postcode.code.in_(shared)).order_by(Postcode.code, Municipality.name))
    result: dict[str, list[str]] = {}
    for code, name in rows:
        result.setdefault(code, []).append(name)
    return result
