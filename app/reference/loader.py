"""Load the chamber's reference data (app/data/*.json) into the database; safe to run again."""

import json
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.reference.models import Municipality, Postcode, Topic, Trade

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def read_json(name: str):
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def load_reference() -> None:
    """Insert what is missing; existing rows (perhaps edited by an admin) stay as they are."""
    region = read_json("region.json")
    known = set(db.session.scalars(select(Municipality.name)))
    for entry in region["municipalities"]:
        if entry["name"] in known:
            continue
        town = Municipality(name=entry["name"], district=entry["district"])
        town.postcodes = [Postcode(code=code) for code in entry["postcodes"]]
        db.session.add(town)

    known = set(db.session.scalars(select(Trade.name)))
    db.session.add_all(Trade(**t) for t in read_json("trades.json") if t["name"] not in known)

    known = set(db.session.scalars(select(Topic.key)))
    db.session.add_all(Topic(**t) for t in read_json("topics.json") if t["key"] not in known)
    db.session.flush()
