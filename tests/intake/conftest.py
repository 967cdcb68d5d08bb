"""What the public request tests share: a filled-in form (shown two minutes ago), the request it stored, and its
confirmation link signed as the opt-in mail signs it."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.cases.models import Business, Case
from app.extensions import db
from app.intake import links, spam
from app.intake.models import CheckRequest
from app.reference.models import Trade
from app.scheduling.models import OutboxMessage
from app.timeutil import utcnow
from tests.mailflow import BASE_URL, path_of

EMAIL = "info@kranz.example.org"


@pytest.fixture(autouse=True)
def public_base_url(app):
    app.config["PUBLIC_BASE_URL"] = BASE_URL


def form(**overrides) -> dict:
    """A complete request from a joiner in Gelsenkirchen, as a person sends it after two minutes."""
    trade_id = db.session.scalar(select(Trade.id).where(Trade.name == "Tischler"))
    data = {"name": "Tischlerei Kranz", "contact_name": "Karl Kranz", "email": EMAIL, "phone": "0209 4711",
            "postcode": "45879", "trade_id": str(trade_id), "employees": "7",
            "message": "Wir möchten Angebote und Rechnungen digital schreiben.", "consent": "y", "website": "",
            "shown_at": spam.stamp(utcnow() - timedelta(minutes=2))}
    return {**data, **overrides}


def send(client, address: str = "192.0.2.10", **overrides):
    return client.post("/anfrage", data=form(**overrides), environ_base={"REMOTE_ADDR": address})


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def stored() -> dict:
    """Everything a request could store: requests, businesses, cases, mails."""
    return {"requests": count(CheckRequest), "businesses": count(Business), "cases": count(Case),
            "mails": count(OutboxMessage)}


def latest_request() -> CheckRequest:
    db.session.expire_all()
    return db.session.scalar(select(CheckRequest).order_by(CheckRequest.id.desc()).limit(1))


def confirm_path(row: CheckRequest) -> str:
    url = links.make_url(row)
    return path_of(url)


@pytest.fixture
def requested(client) -> CheckRequest:
    """A request sent through the page, not yet confirmed."""
    assert send(client).status_code == 302
    return latest_request()
