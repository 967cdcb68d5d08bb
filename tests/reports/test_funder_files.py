"""The funder's report as files: every figure of the XLSX and CSV downloads (and of the CLI's files) equals the
figure on the page; the workbook's sheets, frozen header rows and number formats; the CSV in Excel's dialect
with `;` and a BOM; the case-level export with and without e-mail addresses."""

import csv
import io
from datetime import date, datetime
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook

from tests.reports.funder_data import Q1, build

ARGS = "from=2026-01-01&to=2026-03-31"


class Tables(HTMLParser):
    """The report page's tables (<table data-table=key>) as rows of cell texts, header row included."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.key = self.row = self.cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-table" in attrs:
            self.key = attrs["data-table"]
            self.tables[self.key] = []
        elif self.key and tag == "tr":
            self.row = []
        elif self.row is not None and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.key = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.key].append(self.row)
            self.row = None
        elif tag in ("td", "th") and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def german_number(text: str):
    """A figure as the page shows it ("1.234", "12,5", "+2,0", "–") as a number (None for "–")."""
    if text in ("–", ""):
        return None
    return float(text.replace(".", "").replace(",", ".").replace("+", ""))


def same(page_text: str, value) -> bool:
    if isinstance(value, str) or value is None and page_text not in ("–", ""):
        return page_text == (value or "")
    number = german_number(page_text)
    return number == value if value is None or number is None else abs(number - float(value)) < 1e-9


@pytest.fixture
def page_tables(app, users, client, login):
    build(users)
    login("lead")
    response = client.get(f"/report?{ARGS}")
    assert response.status_code == 200
    parser = Tables()
    parser.feed(response.get_data(as_text=True))
    return parser.tables


def _sheets(book):
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


SHEETS = {"summary": "Überblick", "size": "Größenklassen", "annex": "Anlagen", "group": "Gewerbegruppen",
          "municipality": "Kommunen", "change": "Veränderung T0-T1", "dma": "EU-DMA", "workshops": "Workshops",
          "referrals": "Vermittlungen", "measures": "Maßnahmen"}


def assert_workbook_equals_page(content: bytes, page_tables) -> None:
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Deckblatt", *SHEETS.values()]
    cover = _sheets(book)["Deckblatt"]
    assert cover[0][0] == "Förderbericht des Digitalisierungsprogramms"
    assert cover[1][:2] == ["Kammer", "Handwerkskammer Münster"]
    assert cover[2][1] == datetime(2026, 1, 1) and cover[3][1] == datetime(2026, 3, 31)
    assert book["Deckblatt"]["B3"].number_format == "DD.MM.YYYY"
    assert book["Deckblatt"]["B5"].number_format == "DD.MM.YYYY HH:MM"
    assert any("EU-Größenklassen nur nach Beschäftigtenzahl" in str(row[1]) for row in cover if len(row) > 1)
    for key, title in SHEETS.items():
        sheet = book[title]
        assert sheet.freeze_panes == "A2", title
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        page = page_tables[key]
        assert rows[0] == page[0], title  # the header row
        assert len(rows) == len(page), title
        for page_row, file_row in zip(page[1:], rows[1:], strict=True):
            assert page_row[0] == file_row[0], title
            for text, value in zip(page_row[1:], file_row[1:], strict=True):
                assert same(text, value), (title, page_row, file_row)
    summary = book[SHEETS["summary"]]
    assert summary["B2"].value == 8 and summary["B2"].number_format == "#,##0"
    change = book[SHEETS["change"]]
    assert change["C2"].number_format == "#,##0.0" and change["E2"].number_format == "+0.0;-0.0;0.0"
    assert book[SHEETS["size"]]["C2"].number_format == "0.0"


def assert_csv_equals_page(content: bytes, page_tables) -> None:
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), dialect="excel", delimiter=";"))
    assert rows[0] == ["Förderbericht des Digitalisierungsprogramms"]
    assert rows[2] == ["Zeitraum von", "01.01.2026"] and rows[3] == ["Zeitraum bis", "31.03.2026"]
    sections, current = [], None
    for row in rows[5:]:
        if not row:
            current = None
            continue
        if current is None:
            current = {"title": row[0], "rows": []}
            sections.append(current)
        else:
            current["rows"].append(row)
    assert len(sections) == len(page_tables)
    for section, (key, page) in zip(sections, page_tables.items(), strict=True):
        definition, header, *body = section["rows"]
        assert header == page[0], key
        assert len(body) == len(page) - 1, key
        for page_row, file_row in zip(page[1:], body, strict=True):
            assert page_row[0] == file_row[0]
            for text, value in zip(page_row[1:], file_row[1:], strict=True):
                expected = german_number(text)
                got = None if value == "" else float(value.replace(",", ".").replace("+", ""))
                assert got == expected, (key, page_row, file_row)


@pytest.mark.postgres
def test_the_xlsx_download_shows_every_figure_of_the_page(client, page_tables):
    assert page_tables["summary"][1] == ["Unterstützte Betriebe", "8"]
    response = client.get(f"/report.xlsx?{ARGS}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "foerderbericht_2026-01-01_2026-03-31.xlsx" in response.headers["Content-Disposition"]
    assert_workbook_equals_page(response.data, page_tables)


def test_the_csv_download_reads_in_excels_dialect_and_equals_the_page(client, page_tables):
    response = client.get(f"/report.csv?{ARGS}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert_csv_equals_page(response.data, page_tables)
    text = response.data.decode("utf-8-sig")
    assert "Veränderung vom Erst-Check (T0) zum Re-Check (T1) je Handlungsfeld" in text
    assert ";+18,0\r\n" in text  # the overall change, with the decimal comma and a sign


def test_the_cli_writes_both_formats_with_the_pages_figures(app, client, page_tables, tmp_path):
    runner = app.test_cli_runner()
    for kind in ("xlsx", "csv"):
        target = tmp_path / f"bericht.{kind}"
        result = runner.invoke(args=["procheck", "report", "funder", "--from", "2026-01-01", "--to", "2026-03-31",
                                     "--format", kind, "--output", str(target)])
        assert result.exit_code == 0, result.output
        assert "Förderbericht 01.01.2026–31.03.2026 geschrieben" in result.output
        check = assert_workbook_equals_page if kind == "xlsx" else assert_csv_equals_page
        check(target.read_bytes(), page_tables)
    result = runner.invoke(args=["procheck", "report", "funder", "--from", "2026-03-31", "--to", "2026-01-01",
                                 "--format", "csv", "--output", str(tmp_path / "x.csv")])
    assert result.exit_code != 0 and "Ende liegt vor dem Anfang" in result.output


def _case_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), dialect="excel", delimiter=";"))


@pytest.mark.postgres
def test_the_case_export_has_one_row_per_case_and_emails_only_when_ticked(app, users, client, login):
    data = build(users)
    login("lead")
    rows = _case_rows(client.get("/report/cases?format=csv").data)
    header, body = rows[0], rows[1:]
    assert len(body) == len(data.cases)
    assert "E-Mail-Adresse" not in header and not any("@" in value for row in body for value in row)
    e9 = dict(zip(header, next(row for row in body if row[1] == "E9"), strict=True))
    assert e9["Größenklasse"] == "Kleinstunternehmen (weniger als 10 Beschäftigte)" and e9["Anlage"] == "A"
    assert (e9["Erster Check am"], e9["Re-Check am"], e9["Erster Workshop am"]) == ("01.01.2026", "31.03.2026",
                                                                                    "10.02.2026")
    assert (e9["Gesamtwert T0"], e9["Gesamtwert T1"], e9["Kommune"]) == ("40,0", "58,0", "Gelsenkirchen")
    none = dict(zip(header, next(row for row in body if row[1] == "ENone"), strict=True))
    assert none["Größenklasse"] == "Beschäftigtenzahl unbekannt" and none["Erste Vermittlung am"] == "01.03.2026"
    early = dict(zip(header, next(row for row in body if row[1] == "Early"), strict=True))
    assert early["Erste Maßnahme umgesetzt am"] == "31.03.2026"

    with_emails = _case_rows(client.get("/report/cases?format=csv&emails=1").data)
    assert with_emails[0][-1] == "E-Mail-Adresse"
    assert all(row[-1] == "info@brinkmann.example.org" for row in with_emails[1:])

    response = client.get("/report/cases?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.freeze_panes == "A2" and sheet.max_row == len(data.cases) + 1
    assert "E-Mail-Adresse" not in [cell.value for cell in sheet[1]]
    first_check = [cell for cell in sheet[2]][11]
    assert first_check.number_format == "DD.MM.YYYY" and isinstance(first_check.value, datetime | date)


def test_the_case_export_streams_in_batches(app, users, monkeypatch):
    from app.reports import case_export

    build(users)
    monkeypatch.setattr(case_export, "BATCH", 2)
    chunks = list(case_export.csv_chunks())
    assert len(chunks) >= 4  # 9 cases, two per piece
    assert len(list(case_export.rows(batch=2))) == 9
    assert Q1.days == 90
