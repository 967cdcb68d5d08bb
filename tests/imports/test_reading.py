"""The extract is read whatever Excel or the chamber's IT wrote: encodings, delimiters, XLSX."""

import pytest

from app.errors import DomainError
from app.imports import reading
from tests.imports.register import HEADERS, write_csv, write_xlsx

ROW = ["123456", "Bäckerei Jürgens & Söhne", "Bäcker", "Große Straße 5", "45879", "Jörg Jürgens", "0209 1",
       "info@jürgens.example", "7"]


@pytest.mark.parametrize(("encoding", "expected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                    ("cp1252", "cp1252")])
def test_the_encoding_is_detected_and_umlauts_survive(tmp_path, encoding, expected):
    path = write_csv(tmp_path / "rolle.csv", [ROW], encoding=encoding)
    assert reading.detect_encoding(path) == expected
    with reading.rows(path) as rows:
        header, row = list(rows)
    assert header == HEADERS  # a BOM does not stick to the first header
    assert row == ROW


def test_an_umlaut_late_in_a_long_cp1252_file_is_still_found(tmp_path):
    rows = [["1000", "Maler Schmidt", "Maler und Lackierer", "Weg 1", "45879", "", "", "", ""]] * 5000
    path = write_csv(tmp_path / "rolle.csv", [*rows, ROW], encoding="cp1252")
    assert reading.detect_encoding(path) == "cp1252"


@pytest.mark.parametrize("delimiter", [";", ","])
def test_semicolon_and_comma_are_detected(tmp_path, delimiter):
    path = write_csv(tmp_path / "rolle.csv", [ROW, ROW], delimiter=delimiter)
    with reading.rows(path) as rows:
        assert list(rows)[1] == ROW


def test_xlsx_is_read_in_read_only_mode_with_numbers_as_text(tmp_path):
    typed = [123456, "Bäckerei Jürgens", "Bäcker", "Große Straße 5", 45879, None, None, None, 7]
    path = write_xlsx(tmp_path / "rolle.xlsx", [typed, [None] * 9])
    assert reading.is_xlsx(path)
    with reading.rows(path) as rows:
        found = list(rows)
    assert found == [HEADERS, ["123456", "Bäckerei Jürgens", "Bäcker", "Große Straße 5", "45879", "", "", "", "7"]]


def test_an_empty_file_and_a_broken_workbook_are_refused(tmp_path):
    empty = tmp_path / "leer.csv"
    empty.write_bytes(b"")
    with pytest.raises(DomainError, match="leer|empty"):
        reading.headers(empty)
    broken = tmp_path / "kaputt.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DomainError):
        reading.headers(broken)
