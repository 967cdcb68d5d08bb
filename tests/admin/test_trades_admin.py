"""The administrator maintains the trades: add, change annex, number and group, and nothing deleted or regrouped
that businesses have (the read models count by group); German messages, nothing half-saved."""

import pytest
from sqlalchemy import select

from app.auth.audit import AuditEntry
from app.extensions import db
from app.reference.models import Trade
from tests.factories import make_case


def trade(name: str) -> Trade | None:
    db.session.expire_all()
    return db.session.scalar(select(Trade).where(Trade.name == name))


def trail() -> list[tuple[str, str]]:
    return [(e.what, e.target) for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def form(**values) -> dict:
    return {"name": "Drohnenpilot", "annex": "B2", "number": "", "group": "Handwerke für den gewerblichen Bedarf",
            **values}


def test_the_trades_page_lists_annex_and_group(client, login):
    login("admin")
    page = client.get("/admin/trades").get_data(as_text=True)
    assert "Tischler" in page and "Ausbaugewerbe" in page


def test_a_new_trade_is_added_and_changed_and_both_are_on_the_trail(client, login):
    login("admin")
    assert client.post("/admin/trades", data=form(number=" 57 ")).status_code == 302
    added = trade("Drohnenpilot")
    assert (added.annex, added.number, added.group) == ("B2", 57, "Handwerke für den gewerblichen Bedarf")
    response = client.post(f"/admin/trades/{added.id}", data=form(annex="B1", group="Neue Gruppe", number=" "))
    assert response.status_code == 302
    changed = trade("Drohnenpilot")
    assert (changed.annex, changed.number, changed.group) == ("B1", None, "Neue Gruppe")
    assert trail() == [("trade.created", "Drohnenpilot"), ("trade.changed", "Drohnenpilot")]
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()[-1]
    assert entry.details == {"number": [57, None], "annex": ["B2", "B1"],
                             "group": ["Handwerke für den gewerblichen Bedarf", "Neue Gruppe"]}


@pytest.mark.parametrize(("values", "message"), [
    ({"name": "tischler"}, "Ein Gewerk „tischler“ gibt es bereits."),
    ({"name": "  "}, "Bitte geben Sie den Namen des Gewerks ein."),
    ({"annex": "C"}, "Keine gültige Auswahl."),
    ({"group": ""}, "Bitte geben Sie die Gewerbegruppe ein."),
    ({"group": "x" * 81}, "Bitte höchstens 80 Zeichen."),
    ({"number": "0"}, "Bitte geben Sie eine ganze Zahl von 1 bis 9999 ein."),
    ({"number": "99999999999999999999"}, "Bitte geben Sie eine ganze Zahl von 1 bis 9999 ein."),
    ({"number": "٣"}, "Bitte geben Sie eine ganze Zahl von 1 bis 9999 ein."),
])
def test_bad_input_is_refused_in_german_and_nothing_is_saved(client, login, values, message):
    login("admin")
    count = len(db.session.scalars(select(Trade)).all())
    response = client.post("/admin/trades", data=form(**values))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert len(db.session.scalars(select(Trade)).all()) == count and trail() == []


def test_a_trade_businesses_have_keeps_its_group_and_is_not_deleted(client, login, users):
    make_case(users["scout"])  # a Tischler
    login("admin")
    tischler = trade("Tischler")
    response = client.post(f"/admin/trades/{tischler.id}", data=form(name="Tischler", annex=tischler.annex,
                                                                     group="Andere Gruppe"))
    assert response.status_code == 422
    assert "Die Gewerbegruppe kann nicht geändert werden, solange 1 Betrieb dieses Gewerk hat" in \
        response.get_data(as_text=True)
    response = client.post(f"/admin/trades/{tischler.id}/delete", follow_redirects=True)
    assert "„Tischler“ kann nicht gelöscht werden: 1 Betrieb hat dieses Gewerk." in response.get_data(as_text=True)
    assert trade("Tischler").group == "Ausbaugewerbe" and trail() == []
    # Its name and annex may still be corrected.
    response = client.post(f"/admin/trades/{tischler.id}", data=form(name="Tischler (Schreiner)", annex="A",
                                                                     number=str(tischler.number or ""),
                                                                     group="Ausbaugewerbe"))
    assert response.status_code == 302 and trade("Tischler (Schreiner)") is not None


def test_an_unused_trade_is_deleted(client, login):
    login("admin")
    client.post("/admin/trades", data=form())
    added = trade("Drohnenpilot")
    assert client.post(f"/admin/trades/{added.id}/delete").status_code == 302
    assert trade("Drohnenpilot") is None
    assert trail()[-1] == ("trade.deleted", "Drohnenpilot")
