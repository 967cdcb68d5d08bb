"""Art. 15: everything the database holds about a business, from every registered table, all columns.

The staff's morning digests list many businesses: of those only the lines that name this business are given.
"""

from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy import select

from app.extensions import db
from app.privacy import registry
from app.privacy.erasure import identifiers
from app.privacy.tables import staff_mails_naming
from app.scheduling.models import OutboxMessage
from app.timeutil import utcnow

STAFF_MAILS = _l("Internal emails to staff that name the business")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def export(business_id: int) -> dict:
    """The export as a JSON-ready dict: sections (one per registered table) of rows (column -> value)."""
    sections = []
    for entry in registry.current().tables:
        table = entry.table
        rows = db.session.execute(select(table).where(entry.rows(table, [business_id]))
                                  .order_by(*table.primary_key.columns)).mappings()
        sections.append({"table": table.name, "label": str(entry.label),
                         "rows": [{key: _plain(value) for key, value in row.items()} for row in rows]})
    sections.append({"table": "staff_mails", "label": str(STAFF_MAILS), "rows": _staff_lines(business_id)})
    return {"business_id": business_id, "controller": current_app.config["CHAMBER_NAME"],
            "generated_at": utcnow().isoformat(), "sections": sections}


def _staff_lines(business_id: int) -> list[dict]:
    values = identifiers([business_id]).values
    if not values:
        return []
    outbox = OutboxMessage.__table__
    escaped = {str(escape(value)) for value in values}
    rows = db.session.execute(select(outbox.c.id, outbox.c.subject, outbox.c.created_at, outbox.c.body_text,
                                     outbox.c.body_html).where(*staff_mails_naming(values)).order_by(outbox.c.id))
    return [{"id": row.id, "subject": row.subject, "created_at": _plain(row.created_at),
             "lines": _naming(row.body_text, values), "html_lines": _naming(row.body_html, escaped)} for row in rows]


def _naming(body: str, values) -> str:
    return "\n".join(line for line in body.splitlines() if any(value in line for value in values))
