"""The lead imports the register's extract in the browser: upload, assign columns, dry run, then the import with
its progress bar (polled by progress.js) until the page shows the result."""

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from app.cases.models import Business
from app.extensions import db
from tests.browser.helpers import assert_accessible, log_in
from tests.imports.register import register_rows, write_csv

ROWS = 3000



def test_lead_imports_a_register_extract_with_a_progress_bar(page, live_server, tmp_path):
    live_server.app.config.update(IMPORT_FOLDER=str(tmp_path / "uploads"), IMPORT_BATCH_ROWS=25)
    rows = [*register_rows(ROWS), ["", "Ohne Gewerk", "Zauberer", "Weg 1", "45879", "", "", "", ""]]
    path = write_csv(tmp_path / "handwerksrolle.csv", rows, encoding="cp1252")
    polls = []
    page.on("request", lambda request: polls.append(request.url) if request.url.endswith("/progress") else None)

    log_in(page, live_server.url, "lead")
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Betriebe importieren")
    assert_accessible(page, "upload")
    page.get_by_label("Auszug aus der Handwerksrolle").set_input_files(str(path))
    page.get_by_role("button", name="Hochladen und Spalten zuordnen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Spalten zuordnen")
    expect(page.get_by_label("Name des Betriebs")).to_have_value("1")  # guessed from "Firma"
    assert_accessible(page, "mapping")
    page.get_by_role("button", name="Datei prüfen (Probelauf)").click()

    expect(page.get_by_role("heading", name="Probelauf: was der Import tun würde")).to_be_visible()
    counts = page.locator("dl.counts")
    expect(counts.locator('[data-count="created"]')).to_have_text("3.000")
    expect(counts.locator('[data-count="skipped"]')).to_have_text("1")
    expect(page.get_by_role("cell", name="Das Gewerk ist unbekannt.")).to_be_visible()
    assert_accessible(page, "dry run")
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count(Business.id))) == 0

    page.get_by_role("button", name="Import starten").click()
    bar = page.get_by_role("progressbar")
    expect(bar).to_be_visible()
    expect(page.get_by_role("heading", name="Der Import ist abgeschlossen")).to_be_visible(timeout=60_000)
    expect(page.locator("#import-progress")).to_have_attribute("value", str(ROWS + 1))
    expect(page.locator("#import-progress-text")).to_have_text("3.001 von 3.001 Zeilen")
    expect(counts.locator('[data-count="created"]')).to_have_text("3.000")
    assert polls, "the page asked for the progress while the import ran"
    assert_accessible(page, "result")
    assert re.search(r"/import/\d+$", page.url)
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count(Business.id))) == ROWS

    # The lead opens cases for the imported trade group "Ausbaugewerbe" in Gelsenkirchen, dealt to both scouts.
    page.goto(f"{live_server.url}/import")
    page.get_by_role("link", name="Fälle für eine Auswahl eröffnen").click()
    page.get_by_label("Kommune").select_option(label="Gelsenkirchen")
    page.get_by_label("Gewerbegruppe").select_option(label="Ausbaugewerbe")
    page.get_by_role("button", name="Betriebe zählen").click()
    expect(page.get_by_role("status")).to_contain_text("erhalten einen Fall")
    assert_accessible(page, "open cases")
    page.get_by_label("Sina Scout").check()
    page.get_by_label("Sven Scout").check()
    page.get_by_role("button", name="Fälle eröffnen").click()
    expect(page.get_by_text(re.compile(r"\d+ Fälle wurden eröffnet\."))).to_be_visible()
    expect(page.locator("#selection-count")).to_contain_text("0 Betriebe erhalten einen Fall.")
