"""One row per case for the lead's own pivot tables, streamed in batches (memory stays flat at a million cases).

Cases are read in id order, BATCH at a time (keyset: id > the last one, so no OFFSET scan); each batch's milestone
dates come from four GROUP BY queries over that id range, through the case_id indexes. Names of scouts, trades
and municipalities are small lists, loaded once. E-mail addresses are left out unless asked for.
"""

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from app.auth.models import User
from app.cases.models import Business, Case, Measure
from app.cases.workflow import STATES, state_label
from app.checks.models import CaseCheckSummary, Check
from app.extensions import db
from app.partners.models import Referral
from app.reference.models import Municipality, Trade
from app.reports.export import BOM, DATE_FORMAT, csv_value
from app.reports.funder import SIZE_CLASSES
from app.reports.milestones import size_class
from app.timeutil import BERLIN
from app.workshops.models import Attendance, Workshop

BATCH = 5000


def headers(with_emails: bool) -> list[str]:
    names = [_l("Case"), _l("Business"), _l("State"), _l("Scout"), _l("Trade"), _l("Annex"), _l("Trade group"),
             _l("Municipality"), _l("Employees"), _l("Size class"), _l("Opened on"), _l("First check on"),
             _l("First workshop on"), _l("First referral on"), _l("First measure implemented on"),
             _l("Re-check on"), _l("Overall score T0"), _l("Overall score T1")]
    return [str(name) for name in names] + ([str(_l("Email address"))] if with_emails else [])


DATE_COLUMNS = range(10, 16)  # the milestone dates, as dates (Berlin)


def _day(moment: datetime | None):
    return moment.astimezone(BERLIN).date() if moment is not None else None


def _firsts(query) -> dict[int, object]:
    return dict(db.session.execute(query).all())


def rows(with_emails: bool = False, batch: int = BATCH) -> Iterator[list]:
    """Every case as a list of values (dates as date, scores as float), in id order."""
    scouts = dict(db.session.execute(select(User.id, User.name)).all())
    trades = {t.id: (t.name, t.annex, t.group) for t in db.session.scalars(select(Trade))}
    towns = dict(db.session.execute(select(Municipality.id, Municipality.name)).all())
    # Translated once: a lookup in the catalogue per row and column cost more than the queries.
    states = {state: state_label(state) for state in STATES}
    sizes = {key: str(label) for key, label in SIZE_CLASSES.items()}
    t0, t1 = aliased(Check), aliased(Check)
    summary = CaseCheckSummary
    last = 0
    while True:
        query = (select(Case.id, Business.name, Case.state, Case.owner_id, Business.trade_id,
                        Business.municipality_id, Business.employees, Case.opened_at, t0.completed_at,
                        t1.completed_at, summary.t0_overall, summary.t1_overall, Business.email)
                 .join(Business, Business.id == Case.business_id)
                 .outerjoin(summary, summary.case_id == Case.id)
                 .outerjoin(t0, t0.id == summary.t0_check_id)
                 .outerjoin(t1, t1.id == summary.t1_check_id)
                 .where(Case.id > last).order_by(Case.id).limit(batch))
        chunk = db.session.execute(query).all()
        if not chunk:
            return
        low, high = chunk[0][0], chunk[-1][0]
        workshops = _firsts(select(Attendance.case_id, func.min(Workshop.starts_at))
                            .join(Workshop, Workshop.id == Attendance.workshop_id)
                            .where(Attendance.case_id.between(low, high)).group_by(Attendance.case_id))
        referrals = _firsts(select(Referral.case_id, func.min(Referral.created_at))
                            .where(Referral.case_id.between(low, high)).group_by(Referral.case_id))
        measures = _firsts(select(Measure.case_id, func.min(Measure.implemented_on))
                           .where(and_(Measure.case_id.between(low, high), Measure.status == "implemented"))
                           .group_by(Measure.case_id))
        for (case_id, name, state, owner_id, trade_id, town_id, employees, opened, t0_at, t1_at, t0_score,
             t1_score, email) in chunk:
            trade, annex, group = trades.get(trade_id, ("", "", ""))
            workshop, referral = workshops.get(case_id), referrals.get(case_id)
            row = [case_id, name, states.get(state, state), scouts.get(owner_id, ""), trade, annex, group,
                   towns.get(town_id, ""), employees, sizes[size_class(employees)], _day(opened),
                   _day(t0_at), _day(_aware(workshop)), _day(_aware(referral)), measures.get(case_id),
                   _day(t1_at), t0_score, t1_score]
            yield row + [email] if with_emails else row
        last = high
        db.session.expire_all()  # nothing of the batch stays in the session's identity map


def _aware(value):
    """MIN() over a UTC column comes back without the type's conversion on SQLite: make it UTC-aware."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def csv_chunks(with_emails: bool = False) -> Iterator[str]:
    """The CSV (`;`, BOM, German dates and decimals) in pieces of about a batch, for a streamed response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect="excel", delimiter=";")
    buffer.write(BOM)
    writer.writerow(headers(with_emails))
    for count, row in enumerate(rows(with_emails), start=1):
        writer.writerow([csv_value(value) for value in row])
        if count % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_xlsx(target: IO[bytes] | str, with_emails: bool = False) -> None:
    """The same rows as one sheet (write-only: each row goes to a temporary file as it is written)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(_l("Cases")))
    sheet.freeze_panes = "A2"
    sheet.append(headers(with_emails))
    for row in rows(with_emails):
        for index in DATE_COLUMNS:
            if row[index] is not None:
                cell = WriteOnlyCell(sheet, value=row[index])
                cell.number_format = DATE_FORMAT
                row[index] = cell
        sheet.append(row)
    book.save(target)
