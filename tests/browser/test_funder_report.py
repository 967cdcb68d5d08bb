"""The team lead in the browser: the funder's report for a quarter, and its XLSX download opened with openpyxl."""

from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from tests.browser.helpers import log_in
from tests.reports.funder_data import build


def test_lead_opens_the_report_and_downloads_the_xlsx(page, live_server, tmp_path):
    with live_server.app.app_context():
        users = {"scout": db.session.scalar(select(User).where(User.email == "scout1@example.org"))}
        build(users)

    log_in(page, live_server.url, "lead")
    page.get_by_role("link", name="Bericht", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Förderbericht")
    page.get_by_label("Zeitraum von").fill("2026-01-01")
    page.get_by_label("Zeitraum bis").fill("2026-03-31")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page.get_by_text("Zeitraum: 01.01.2026 bis 31.03.2026")).to_be_visible()
    overview = page.get_by_role("table", name="Überblick")
    expect(overview.get_by_role("row", name="Unterstützte Betriebe")).to_contain_text("8")

    with page.expect_download() as info:
        page.get_by_role("link", name="Bericht als Excel-Datei (XLSX)").click()
    download = info.value
    assert download.suggested_filename == "foerderbericht_2026-01-01_2026-03-31.xlsx"
    target = tmp_path / download.suggested_filename
    download.save_as(target)

    book = load_workbook(target)
    assert book.sheetnames[0] == "Deckblatt"
    summary = book["Überblick"]
    assert summary.freeze_panes == "A2"
    assert [summary["A2"].value, summary["B2"].value] == ["Unterstützte Betriebe", 8]
    assert book["Größenklassen"]["B2"].value == 2  # micro: 9 employees and 5
