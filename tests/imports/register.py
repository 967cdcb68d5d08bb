"""A generated extract of the chamber's register (Handwerksrolle) from the reference data in app/data:
the region's postcodes and the Handwerksordnung's trades, with German names, streets and umlauts."""

import csv
import json
import random
from pathlib import Path

from openpyxl import Workbook

DATA = Path(__file__).resolve().parents[2] / "app" / "data"
HEADERS = ["Rollennummer", "Firma", "Gewerk", "Straße", "PLZ", "Ansprechpartner", "Telefon", "E-Mail",
           "Beschäftigte"]
SURNAMES = ("Müller", "Schäfer", "Köhler", "Weiß", "Groß", "Schröder", "Wagner", "Becker", "Hoffmann", "Krüger",
            "Jürgens", "Özdemir", "Kowalski", "Lange", "Böhm")
STREETS = ("Hauptstraße", "Bahnhofstraße", "Kirchweg", "Am Grünen Weg", "Lindenallee", "Mühlenstraße",
           "Gartenstraße", "Schützenstraße")


def reference() -> tuple[list[str], list[dict]]:
    region = json.loads((DATA / "region.json").read_text())
    postcodes = [code for town in region["municipalities"] for code in town["postcodes"]]
    return postcodes, json.loads((DATA / "trades.json").read_text())


def register_rows(n: int, seed: int = 12) -> list[list[str]]:
    """n valid, distinct rows (register numbers 100000 + i, so that each row is a different business)."""
    rng = random.Random(seed)
    postcodes, trades = reference()
    rows = []
    for i in range(n):
        surname, trade = rng.choice(SURNAMES), rng.choice(trades)
        rows.append([str(100000 + i), f"{trade['name']} {surname} {i}", trade["name"],
                     f"{rng.choice(STREETS)} {rng.randint(1, 180)}", rng.choice(postcodes), f"Jana {surname}",
                     f"0209 {rng.randint(100000, 999999)}", f"info{i}@betrieb{i}.example", str(rng.randint(1, 60))])
    return rows


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ";",
              headers: list[str] = HEADERS) -> Path:
    with path.open("w", encoding=encoding, newline="") as file:
        writer = csv.writer(file, delimiter=delimiter)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list], headers: list[str] = HEADERS) -> Path:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path
