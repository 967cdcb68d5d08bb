"""Reading the register's extract: CSV (`;` or `,`, UTF-8 with or without BOM, or Windows-1252) and XLSX.

Rows are streamed: a CSV is read line by line after one pass that detects the encoding, an XLSX through
openpyxl's read-only mode. Memory stays flat however long the file is.
"""

import codecs
import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from app.errors import DomainError

CHUNK = 1 << 16
SNIFF_BYTES = 1 << 14
XLSX_MAGIC = b"PK\x03\x04"  # an XLSX file is a zip archive


def detect_encoding(path: Path) -> str:
    """`utf-8-sig` with a BOM, `utf-8` when every byte decodes as UTF-8, else `cp1252` (Excel's German default).

    Windows-1252 text with umlauts is practically never valid UTF-8 (an umlaut byte would have to be followed by
    continuation bytes), so a strict incremental UTF-8 decode over the whole file decides it.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    with path.open("rb") as file:
        first = file.read(CHUNK)
        if first.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        chunk = first
        try:
            while chunk:
                decoder.decode(chunk)
                chunk = file.read(CHUNK)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def detect_delimiter(sample: str) -> str:
    """`;` (German Excel) or `,`, as csv.Sniffer finds in the first lines; `;` when it cannot tell."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,").delimiter
    except csv.Error:
        return ";"


def is_xlsx(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(4) == XLSX_MAGIC


def _clean(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores a postcode or register number typed as a number as 45657.0
    return str(value).strip()


@contextmanager
def _csv_rows(path: Path) -> Iterator[Iterator[list[str]]]:
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as file:
        delimiter = detect_delimiter(file.read(SNIFF_BYTES))
    with path.open(encoding=encoding, newline="") as file:
        yield ([_clean(v) for v in row] for row in csv.reader(file, delimiter=delimiter))


@contextmanager
def _xlsx_rows(path: Path) -> Iterator[Iterator[list[str]]]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # a damaged or foreign zip: openpyxl raises several kinds
        raise DomainError(_l("The file could not be read as an Excel workbook.")) from error
    try:
        yield ([_clean(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()


@contextmanager
def rows(path: Path) -> Iterator[Iterator[list[str]]]:
    """All rows of the file (the header row first) as lists of trimmed strings; empty rows left out."""
    opener = _xlsx_rows if is_xlsx(path) else _csv_rows
    with opener(path) as found:
        yield (row for row in found if any(row))


def headers(path: Path) -> list[str]:
    """The header row; a file without one is refused."""
    with rows(path) as found:
        first = next(found, None)
    if not first:
        raise DomainError(_l("The file is empty."))
    return first
