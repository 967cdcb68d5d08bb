"""Art. 17: anonymise businesses and their people in every registered table, keeping the anonymous figures.

One set of statements per registered table for a whole batch of businesses (the retention rule erases
thousands); JSON columns are scrubbed row by row (a business has a few dozen such rows).
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, literal, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.cases.models import Business, Case
from app.errors import DomainError
from app.extensions import db
from app.privacy import registry
from app.privacy.models import Action, PrivacyLog, log
from app.privacy.registry import Erasure, Identifiers, Link, PersonalTable
from app.timeutil import utcnow

ALREADY = _l("This business has already been anonymised.")
IDENTIFYING = ("name", "contact_name", "email", "phone", "street", "register_number")
SHORTEST = 4  # shorter values ("Bau", "12") would scrub unrelated strings


def is_erased(business_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(
        PrivacyLog.business_id == business_id, PrivacyLog.action == Action.ERASED))))


def identifiers_by_business(business_ids: list[int]) -> dict[int, Identifiers]:
    columns = [getattr(Business, name) for name in IDENTIFYING]
    rows = db.session.execute(select(Business.id, *columns).where(Business.id.in_(business_ids)))
    return {row[0]: Identifiers(frozenset(str(value).strip() for value in row[1:]
                                          if value and len(str(value).strip()) >= SHORTEST)) for row in rows}


def identifiers(business_ids: list[int]) -> Identifiers:
    return Identifiers(frozenset().union(*(i.values for i in identifiers_by_business(business_ids).values())))


def erase_business(business: Business, actor: User, confirmation: str) -> None:
    """Anonymise one business on request, after its name was typed as confirmation (lead or admin)."""
    # Locked (PostgreSQL): of two erasures at once the second waits, then finds the log entry of the first.
    locked = db.session.scalars(select(Business).where(Business.id == business.id).with_for_update(of=Business)
                                .execution_options(populate_existing=True)).one()
    if is_erased(locked.id):
        raise DomainError(ALREADY)
    if " ".join(confirmation.split()).casefold() != " ".join(locked.name.split()).casefold():
        raise DomainError(_l("Please type the business name exactly as shown to confirm."), "confirmation")
    erase([locked.id], actor, reason="request")


def erase(business_ids: list[int], actor: User | None, reason: str, bulk: bool = False) -> int:
    """Anonymise these businesses (not yet erased) in every registered table; log each. Returns how many."""
    if not business_ids:
        return 0
    db.session.flush()
    case_ids = list(db.session.scalars(select(Case.id).where(Case.business_id.in_(business_ids))))
    by_business = identifiers_by_business(business_ids)
    erasure = Erasure(list(business_ids), case_ids, Identifiers(frozenset().union(*(
        i.values for i in by_business.values()))), by_business, bulk)
    # Logged first: a concurrent erasure of the same business waits here and then fails on the unique index.
    for business_id in business_ids:
        log(Action.ERASED, actor, business_id, reason=reason)
    try:
        db.session.flush()
    except IntegrityError as twice:
        raise DomainError(ALREADY) from twice
    # The marker the packages below privacy read (they cannot see this log): never picked or matched again.
    db.session.execute(update(Business).where(Business.id.in_(business_ids)).values(anonymised_at=utcnow()))
    privacy = registry.current()
    for entry in privacy.tables:
        _scrub_json(entry, erasure)
        if entry.erase:
            values = {column: value(entry.table) if callable(value) else value for column, value in entry.erase.items()}
            db.session.execute(update(entry.table).where(entry.rows(entry.table, erasure.business_ids)).values(values))
    for eraser in privacy.extra_erasers:
        eraser(erasure)
    db.session.flush()
    db.session.expire_all()  # the ORM's copies of the rows changed above are stale
    return len(business_ids)


def _scrub_json(entry: PersonalTable, erasure: Erasure) -> None:
    """Each row's strings against its own business's identifiers (a batch's union would cost rows x all of them):
    one read of the table when the rows say whose they are (a Link), else one per business."""
    if not entry.scrub_json:
        return
    table = entry.table
    keys = list(table.primary_key.columns)
    columns = [table.c[name] for name in entry.scrub_json]
    if isinstance(entry.rows, Link):
        owner = entry.rows.business_id(table)
        batches = [db.session.execute(select(owner, *keys, *columns)
                                      .where(entry.rows(table, erasure.business_ids))).all()]
    else:
        batches = [db.session.execute(select(literal(business_id), *keys, *columns)
                                      .where(entry.rows(table, [business_id]))).all()
                   for business_id in erasure.business_ids]
    for rows in batches:
        for business_id, *row in rows:
            own = erasure.by_business.get(business_id)
            values = dict(zip(entry.scrub_json, row[len(keys):], strict=True))
            scrubbed = {name: own.scrub(value) for name, value in values.items()} if own else values
            if scrubbed != values:
                db.session.execute(update(table).where(*(key == row[i] for i, key in enumerate(keys)))
                                   .values(scrubbed))
