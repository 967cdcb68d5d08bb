"""The case page's workshop panel tells a scout calling the business what it is signed up for: its registrations
and waiting-list places for upcoming workshops, not cancelled ones nor past ones, read in one query."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from app.extensions import db
from app.timeutil import BERLIN, utcnow
from app.transactions import unit_of_work
from app.workshops import registrations, services
from tests.workshops.helpers import checked_case, workshop


@pytest.mark.postgres
def test_the_case_page_lists_upcoming_registrations_and_not_cancelled_or_past_ones(client, login, users):
    case = checked_case(users["scout"], "Tischlerei Ahrens")
    rival = checked_case(users["scout"], "Bäckerei Brandt")
    soon = workshop(days=7, title="Rechnungen digital")
    full = workshop(days=14, capacity=1, title="Sicher im Netz")
    dropped = workshop(days=10, title="Social Media im Handwerk")
    over = workshop(days=3, title="Digitale Zeiterfassung")
    with unit_of_work():
        registrations.register(case, soon)
        registrations.register(rival, full)
        registrations.register(case, full)  # no place left: waiting list
        registrations.cancel(registrations.register(case, dropped))
        registrations.register(case, over)
    over.starts_at = utcnow() - timedelta(days=2)  # held, the check-in not saved: no longer pending
    db.session.commit()
    login("scout")

    panel = _workshop_panel(client.get(f"/cases/{case.id}").get_data(as_text=True))

    assert "Anmeldungen für kommende Workshops" in panel
    items = re.findall(r"<li>(.*?)</li>", panel.split("Anmeldungen für kommende Workshops")[1], re.S)
    assert [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items] == [
        f"{_day(soon)} – Rechnungen digital angemeldet", f"{_day(full)} – Sicher im Netz auf der Warteliste"]
    assert f'href="/workshops/{soon.id}">Rechnungen digital</a>' in panel
    assert f'href="/workshops/{full.id}">Sicher im Netz</a>' in panel
    assert "Social Media im Handwerk" not in panel and "Digitale Zeiterfassung" not in panel


def _workshop_panel(page: str) -> str:
    """The case page's workshop section (the timeline mentions the registrations too)."""
    return page.split('aria-labelledby="workshops-panel-heading"')[1].split("</section>")[0]


def _day(target) -> str:
    return target.starts_at.astimezone(BERLIN).strftime("%d.%m.%Y")


def test_a_case_without_pending_registrations_shows_none_and_the_list_is_one_query(app, client, login, users):
    case = checked_case(users["scout"])
    login("scout")
    panel = _workshop_panel(client.get(f"/cases/{case.id}").get_data(as_text=True))
    assert "Noch keine Workshop-Teilnahme." in panel and "Anmeldungen für kommende Workshops" not in panel
    upcoming = [workshop(days=days, title=f"Workshop in {days} Tagen") for days in (7, 5, 6)]
    with unit_of_work():
        for target in upcoming:
            registrations.register(case, target)
    case_id = case.id
    db.session.expire_all()
    statements = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        pending = services.pending_registrations(case_id)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert [row.title for row in pending] == ["Workshop in 5 Tagen", "Workshop in 6 Tagen", "Workshop in 7 Tagen"]
    assert len(statements) == 1
