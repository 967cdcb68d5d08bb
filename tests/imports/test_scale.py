"""The whole district (30,612 businesses, Handwerkskammer Münster at 31.12.2024) imports in under 30 seconds,
through the command line with its progress bar, and a second run finds every row unchanged."""

import time

from sqlalchemy import func, select

from app.cases.models import Business
from app.extensions import db
from tests.imports.register import register_rows, write_csv

DISTRICT = 30_612
LIMIT_SECONDS = 30


def test_the_whole_district_imports_in_under_30_seconds(app, tmp_path):
    path = write_csv(tmp_path / "handwerksrolle.csv", register_rows(DISTRICT), encoding="cp1252")
    runner = app.test_cli_runner()
    started = time.perf_counter()
    result = runner.invoke(args=["procheck", "import-businesses", str(path)])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert f"{DISTRICT} Zeilen: {DISTRICT} wurden neu angelegt" in result.output
    print(f"imported {DISTRICT} rows in {elapsed:.1f} s")
    assert elapsed < LIMIT_SECONDS, f"{elapsed:.1f} s"
    assert db.session.scalar(select(func.count(Business.id)).where(Business.register_number.is_not(None))) \
        == DISTRICT

    again = runner.invoke(args=["procheck", "import-businesses", str(path), "--dry-run"])
    assert f"0 würden neu angelegt, 0 aktualisiert, {DISTRICT} unverändert, 0 übersprungen" in again.output
