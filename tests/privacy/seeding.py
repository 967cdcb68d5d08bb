"""A business with distinctive personal data in every place ProCheck stores it, and a generic scan of all tables."""

import json
from datetime import timedelta

from sqlalchemy import MetaData, Table, inspect, select

from app.auth.models import User
from app.cases import measures, services, workflow
from app.cases.models import Business, Case
from app.extensions import db
from app.imports.models import ImportRun, PreviewRow
from app.partners import services as partners
from app.partners.models import Partner
from app.reference.models import Municipality, Trade
from app.scheduling import reminders
from app.scheduling.digest import queue_digests
from app.scheduling.dispatch import dispatch_once
from app.timeutil import today_berlin, utcnow
from app.transactions import unit_of_work
from tests.factories import add_attendance, add_check

NAME = "Zörbelwerk Quendt GmbH"
CONTACT = "Quirin Zörbel"
EMAIL = "quirin@zoerbel-quendt.example"
PHONE = "0209 7771234"
STREET = "Quendtweg 17"
REGISTER = "98765432"
# What must be gone from every column after the erasure (the list).
IDENTIFYING = (NAME, EMAIL, PHONE, CONTACT)
# What the scan looks for before: every distinctive value, and words only found in free texts.
DISTINCTIVE = (*IDENTIFYING, STREET, REGISTER, "Quendtweg", "Zörbel")


def values(**changes) -> dict:
    town = db.session.scalar(select(Municipality).where(Municipality.name == "Gelsenkirchen"))
    trade = db.session.scalar(select(Trade).where(Trade.name == "Tischler"))
    return {"name": NAME, "trade_id": trade.id, "register_number": REGISTER, "street": STREET, "postcode": "45879",
            "municipality_id": town.id, "contact_name": CONTACT, "phone": PHONE, "email": EMAIL, "employees": 12,
            "email_consent": True, "consent_source": f"Telefonat mit {CONTACT}"} | changes


def new_business(owner: User, **changes) -> Case:
    with unit_of_work():
        business = Business()
        services.fill_business(business, values(**changes), owner)
        case = services.open_business_case(business, owner, owner)
    return case


def seed_everywhere(scout: User, smtp_server) -> Case:
    """The business with a note, a sent result mail, a measure, an attendance, a referral, a reminder, a digest
    naming it, and a second, withdrawn case whose reason quotes the contact person."""
    case = new_business(scout)
    with unit_of_work():
        services.add_note(case, scout, f"{CONTACT} ruft zurück, Handy {PHONE}, Büro {STREET}", "call")
    add_check(case)
    with unit_of_work():
        workflow.move(case, "check_done", scout)  # the rules queue the results mail now
    with unit_of_work():
        measures.record_measure(case, scout, f"Website für {NAME}", "implemented", None, today_berlin(),
                                move_on=False)
    add_attendance(case)
    with unit_of_work():
        partner = db.session.scalar(select(Partner).where(Partner.active, Partner.email != "", Partner.topics.any())
                                    .order_by(Partner.id))
        topic = partner.topics[0]
        partners.refer(case, partner, topic, True, f"{CONTACT} bittet um Rückruf", scout, move_on=False)
        reminders.create(case, scout.id, utcnow() - timedelta(hours=1), f"{CONTACT} anrufen")
    with unit_of_work():
        second = Case(business_id=case.business_id, owner_id=scout.id)
        db.session.add(second)
        workflow.open_case(second, scout)
    with unit_of_work():
        workflow.move(second, "withdrawn", scout, reason=f"{CONTACT} hat keine Zeit")
    with unit_of_work():
        queue_digests()
        add_import_preview(scout, [(NAME, REGISTER, "45879")])
    dispatch_once()
    db.session.expire_all()
    return case


def add_import_preview(actor: User, rows: list[tuple[str, str | None, str]]) -> ImportRun:
    """A dry run not yet started whose preview names businesses as the register's file has them."""
    run = ImportRun(created_by_id=actor.id, filename="rolle.csv", stored_name="rolle.csv")
    db.session.add(run)
    db.session.flush()
    db.session.add_all(PreviewRow(run_id=run.id, line=line, action="skip", reason="exists_differs", name=name,
                                  register_number=number, postcode=postcode)
                       for line, (name, number, postcode) in enumerate(rows, start=2))
    return run


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="ignore")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def scan(needles) -> list[tuple[str, str, str]]:
    """(table, column, stored text) of every cell of every table that contains one of the needles (casefolded),
    found through the database's own catalogue: nothing here knows the models."""
    folded = [needle.casefold() for needle in needles]
    found = []
    connection = db.session.connection()
    metadata = MetaData()
    for name in inspect(connection).get_table_names():
        table = Table(name, metadata, autoload_with=connection)
        for row in connection.execute(select(table)):
            for column, value in row._mapping.items():
                text = _text(value)
                if any(needle in text.casefold() for needle in folded):
                    found.append((name, column, text))
    return found
