"""The funder's report as files: XLSX (openpyxl's write-only mode: rows go to disk as they are written, so memory
stays flat) and CSV for Excel (`;`, UTF-8 with BOM, German decimal comma and dates).

Both render `funder_tables.tables(report)` unchanged: the same rows in the same order as the page.

CSV layout: one file, one section per table (a line with the table's title, one with its definition, the header
row, the rows, the total row, then an empty line), after a short cover (title, chamber, period, generation time).
One file rather than a zip of files, because a lead opens it with a double click and sees everything; every
section starts with its title in column A, so a section is found by searching for it.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import IO

from flask import current_app
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from app.reports.funder import CHANGE, DEC, INT, PCT, FunderReport, Table
from app.reports.funder_tables import tables
from app.timeutil import BERLIN

# Excel number format codes are locale-neutral: a German Excel shows "#,##0.0" as 1.234,5.
NUMBER_FORMATS = {INT: "#,##0", DEC: "#,##0.0", PCT: "0.0", CHANGE: "+0.0;-0.0;0.0"}
DATE_FORMAT, DATETIME_FORMAT = "DD.MM.YYYY", "DD.MM.YYYY HH:MM"
BOM = "\ufeff"

# Sheet names: at most 31 characters, none of []:*?/\ .
SHEET_NAMES = {
    "summary": _l("Overview"), "size": _l("Size classes"), "annex": _l("Annexes"), "group": _l("Trade groups"),
    "municipality": _l("Municipalities"), "change": _l("Change T0-T1"), "dma": _l("EU DMA"),
    "workshops": _l("Workshops"), "referrals": _l("Referrals"), "measures": _l("Measures"),
}


def report_title() -> str:
    return str(_l("Funder's report of the digitalisation programme"))


def file_name(report: FunderReport, extension: str) -> str:
    return f"foerderbericht_{report.period.start.isoformat()}_{report.period.end.isoformat()}.{extension}"


def _local(moment: datetime) -> datetime:
    """Excel knows no time zones: the Berlin wall time, without tzinfo."""
    return moment.astimezone(BERLIN).replace(tzinfo=None, microsecond=0)


def cover_lines(report: FunderReport) -> list[tuple[str, object]]:
    return [
        (str(_l("Chamber")), current_app.config["CHAMBER_NAME"]),
        (str(_l("Period from")), report.period.start),
        (str(_l("Period to")), report.period.end),
        (str(_l("Generated at")), report.generated_at),
    ]


# --- XLSX ----------------------------------------------------------------------------------------------------------

def _cell(sheet, value, number_format: str | None = None, bold: bool = False, wrap: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if number_format:
        cell.number_format = number_format
    if bold:
        cell.font = Font(bold=True)
    if wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def write_xlsx(report: FunderReport, target: IO[bytes] | str) -> None:
    """The report as a workbook: a cover sheet, then one sheet per table with its header row frozen."""
    book = Workbook(write_only=True)
    cover = book.create_sheet(str(_l("Cover")))
    cover.column_dimensions["A"].width = 42
    cover.column_dimensions["B"].width = 100
    cover.append([_cell(cover, report_title(), bold=True)])
    for label, value in cover_lines(report):
        if isinstance(value, datetime):
            cover.append([label, _cell(cover, _local(value), DATETIME_FORMAT)])
        elif isinstance(value, date):
            cover.append([label, _cell(cover, value, DATE_FORMAT)])
        else:
            cover.append([label, value])
    cover.append([])
    cover.append([_cell(cover, str(_l("Sheet")), bold=True), _cell(cover, str(_l("Definition")), bold=True)])
    all_tables = tables(report)
    for table in all_tables:
        cover.append([str(SHEET_NAMES[table.key]), _cell(cover, f"{table.title}: {table.definition}", wrap=True)])
    for table in all_tables:
        _table_sheet(book, table)
    book.save(target)


def _table_sheet(book: Workbook, table: Table) -> None:
    sheet = book.create_sheet(str(SHEET_NAMES[table.key]))
    sheet.freeze_panes = "A2"  # the header row stays visible
    sheet.column_dimensions["A"].width = 48
    for letter in "BCDEF":
        sheet.column_dimensions[letter].width = 18
    sheet.append([_cell(sheet, header, bold=True) for header in table.headers])
    for row in table.rows:
        sheet.append([_cell(sheet, value, NUMBER_FORMATS.get(kind)) for value, kind in zip(row, table.formats,
                                                                                           strict=True)])
    if table.total:
        sheet.append([_cell(sheet, value, NUMBER_FORMATS.get(kind), bold=True)
                      for value, kind in zip(table.total, table.formats, strict=True)])


# --- CSV -----------------------------------------------------------------------------------------------------------

def csv_value(value, kind: str | None = None) -> str:
    """A value as German Excel reads it: decimal comma, DD.MM.YYYY, empty for no value."""
    if value is None:
        return ""
    if isinstance(value, datetime):  # strftime, not Babel: the case export formats a million of these
        return value.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float) or kind in (DEC, PCT, CHANGE):
        text = f"{float(value):.1f}".replace(".", ",")
        return f"+{text}" if kind == CHANGE and value > 0 else text
    return str(value)


def csv_rows(report: FunderReport) -> Iterator[list[str]]:
    yield [report_title()]
    for label, value in cover_lines(report):
        yield [label, csv_value(value)]
    for table in tables(report):
        yield []
        yield [table.title]
        yield [table.definition]
        yield table.headers
        for row in table.all_rows:
            yield [csv_value(value, kind) for value, kind in zip(row, table.formats, strict=True)]


def write_csv(rows: Iterable[list[str]], target: IO[str]) -> None:
    writer = csv.writer(target, dialect="excel", delimiter=";")
    target.write(BOM)
    writer.writerows(rows)


def csv_text(report: FunderReport) -> str:
    buffer = io.StringIO()
    write_csv(csv_rows(report), buffer)
    return buffer.getvalue()
