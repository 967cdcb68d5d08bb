"""Partner directory and referrals."""

from sqlalchemy import select

from app.extensions import db
from app.partners.models import Partner
from app.reference.loader import read_json
from app.reference.models import Topic


def seed_partners() -> None:
    """Insert the seeded partner directory (app/data/partners.json) where a name is missing."""
    known = set(db.session.scalars(select(Partner.name)))
    topics = {t.key: t for t in db.session.scalars(select(Topic))}
    for entry in read_json("partners.json"):
        if entry["name"] in known:
            continue
        keys = entry.pop("topics")
        db.session.add(Partner(**entry, topics=[topics[k] for k in keys]))
    db.session.commit()
