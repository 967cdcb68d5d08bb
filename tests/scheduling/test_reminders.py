"""Reminders (Wiedervorlagen) on the case page and on /today: create, edit, complete, snooze."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event, func, select, update

from app.cases.models import Case, CaseEvent
from app.extensions import db
from app.scheduling import queries, reminders
from app.scheduling.models import FollowUpRule, Reminder
from app.timeutil import BERLIN, utcnow
from tests.factories import make_case

pytestmark = pytest.mark.postgres  # Berlin time in, UTC stored; due-time ordering and comparisons


@pytest.fixture(autouse=True)
def without_rule_reminders(app):
    """These tests are about reminders made by hand; the rules' own reminders are tested elsewhere."""
    db.session.execute(update(FollowUpRule).where(FollowUpRule.action == "reminder").values(active=False))
    db.session.commit()


def _today() -> date:
    return utcnow().astimezone(BERLIN).date()


def _at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def _remind(case: Case, user, due: datetime, title: str = "Termin vereinbaren") -> Reminder:
    reminder = reminders.create(case, user.id, due, title)
    db.session.flush()
    reminders.sync_next_due(case.id)
    db.session.commit()
    return reminder


def _events(case: Case, kind: str) -> list[CaseEvent]:
    return db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == kind)).all()


def _form(title="Angebot nachfragen", day: date | None = None, clock="14:30", assignee=None) -> dict:
    data = {"reminder-title": title, "reminder-due_date": (day or _today() + timedelta(days=3)).isoformat(),
            "reminder-due_time": clock}
    if assignee is not None:
        data["reminder-assignee_id"] = str(assignee)
    return data


def test_scout_creates_a_reminder_in_berlin_time_and_the_caseload_shows_it_next(client, login, users):
    case = make_case(users["scout"], "Elektro Kowalski GmbH")
    login("scout")
    day = _today() + timedelta(days=3)
    response = client.post(f"/cases/{case.id}/reminders/new", data=_form(day=day, assignee=users["scout2"].id))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case.id}#reminders-heading")
    reminder = db.session.scalar(select(Reminder))
    assert reminder.due_at == _at(day, 14, 30).astimezone(UTC)
    assert (reminder.title, reminder.state, reminder.assignee_id, reminder.created_by_id) == (
        "Angebot nachfragen", "open", users["scout2"].id, users["scout"].id)
    assert db.session.get(Case, case.id).next_due_at == reminder.due_at
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Wiedervorlagen" in page and "Angebot nachfragen" in page and "für Sven Scout" in page
    assert f"fällig {day:%d.%m.%Y} 14:30" in page and "Wiedervorlage angelegt" in page
    assert f"{day:%d.%m.%Y}" in client.get("/cases").get_data(as_text=True)


def test_new_reminder_form_defaults_to_the_case_owner_and_offers_active_scouts_and_the_lead(client, login, users):
    case = make_case(users["scout2"])
    users["scout"].active = False
    db.session.commit()
    login("lead")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'<option selected value="{users["scout2"].id}">Sven Scout</option>' in page
    assert "Lena Leitung</option>" in page and "Sina Scout</option>" not in page and "Adam Admin" not in page
    response = client.post(f"/cases/{case.id}/reminders/new", data=_form())
    assert response.status_code == 302
    assert db.session.scalar(select(Reminder.assignee_id)) == users["scout2"].id


@pytest.mark.parametrize(("data", "message"), [
    ({"reminder-title": "  ", "reminder-due_date": "2999-01-01", "reminder-due_time": "09:00"},
     "Bitte beschreiben Sie, was zu tun ist."),
    ({"reminder-title": "Anrufen", "reminder-due_date": "", "reminder-due_time": "09:00"},
     "Bitte geben Sie das Datum ein."),
    ({"reminder-title": "Anrufen", "reminder-due_date": "2020-01-01", "reminder-due_time": "09:00"},
     "Das Datum liegt in der Vergangenheit."),
    ({"reminder-title": "x" * 201, "reminder-due_date": "2999-01-01", "reminder-due_time": "09:00"},
     "Höchstens 200 Zeichen."),
])
def test_bad_reminder_input_is_refused_next_to_the_field_and_nothing_is_saved(client, login, users, data, message):
    case = make_case(users["scout"])
    login("scout")
    response = client.post(f"/cases/{case.id}/reminders/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page and 'aria-invalid="true"' in page
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 0
    assert _events(case, "reminder_created") == [] and db.session.get(Case, case.id).next_due_at is None


def test_an_assignee_who_is_no_case_worker_is_refused(client, login, users):
    case = make_case(users["scout"])
    login("scout")
    response = client.post(f"/cases/{case.id}/reminders/new", data=_form(assignee=users["admin"].id))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 0


def test_completing_a_reminder_moves_next_due_on_and_shows_it_collapsed(client, login, users):
    case = make_case(users["scout"])
    first = _remind(case, users["scout"], _at(_today() + timedelta(days=1)), "Check-Termin vereinbaren")
    second = _remind(case, users["scout"], _at(_today() + timedelta(days=5)), "Unterlagen schicken")
    login("scout")
    response = client.post(f"/reminders/{first.id}/done")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case.id}#reminders-heading")
    db.session.expire_all()
    assert db.session.get(Reminder, first.id).state == "done" and db.session.get(Reminder, first.id).closed_at
    assert db.session.get(Case, case.id).next_due_at == second.due_at
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Erledigt: Check-Termin vereinbaren" in page
    assert "<summary>Erledigte und abgebrochene Wiedervorlagen (1)</summary>" in page
    assert "Wiedervorlage erledigt" in page
    # Completing it again changes nothing and says why.
    again = client.post(f"/reminders/{first.id}/done", follow_redirects=True).get_data(as_text=True)
    assert "schon erledigt oder abgebrochen" in again and len(_events(case, "reminder_done")) == 1


def test_snoozing_by_a_day_a_week_or_to_a_date_keeps_the_time_and_notes_it(client, login, users):
    case = make_case(users["scout"])
    due = _at(_today() + timedelta(days=14), 10, 15)
    reminder = _remind(case, users["scout"], due)
    login("scout")
    client.post(f"/reminders/{reminder.id}/snooze", data={"by": "week"})
    db.session.expire_all()
    moved = db.session.get(Reminder, reminder.id).due_at.astimezone(BERLIN)
    assert moved.date() >= due.date() + timedelta(days=7) and moved.time() == time(10, 15)
    target = _today() + timedelta(days=30)
    client.post(f"/reminders/{reminder.id}/snooze", data={"by": "date", "until": target.isoformat()})
    db.session.expire_all()
    assert db.session.get(Reminder, reminder.id).due_at == _at(target, 10, 15).astimezone(UTC)
    assert db.session.get(Case, case.id).next_due_at == _at(target, 10, 15).astimezone(UTC)
    assert len(_events(case, "reminder_snoozed")) == 2
    assert "Wiedervorlage verschoben" in client.get(f"/cases/{case.id}").get_data(as_text=True)


@pytest.mark.parametrize(("until", "message"), [("", "Bitte geben Sie das Datum ein."),
                                                 ("2020-05-01", "Bitte wählen Sie einen Tag nach heute.")])
def test_snoozing_to_a_missing_or_past_date_is_refused(client, login, users, until, message):
    case = make_case(users["scout"])
    reminder = _remind(case, users["scout"], _at(_today() + timedelta(days=2)))
    login("scout")
    response = client.post(f"/reminders/{reminder.id}/snooze", data={"by": "date", "until": until})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Reminder, reminder.id).due_at == reminder.due_at and _events(case, "reminder_snoozed") == []


def test_snooze_rolls_over_weekends_and_holidays_and_starts_from_today_when_overdue(app, users):
    case = make_case(users["scout"])
    friday = reminders.create(case, users["scout"].id, _at(date(2025, 5, 2), 9), "Anrufen")
    assert reminders.snoozed_until(friday, 1, now=_at(date(2025, 5, 2), 8)) == _at(date(2025, 5, 5), 9)
    # Thursday before Good Friday 2025: Friday and Easter Monday are holidays in NRW.
    before_easter = reminders.create(case, users["scout"].id, _at(date(2025, 4, 17), 11), "Anrufen")
    assert reminders.snoozed_until(before_easter, 1, now=_at(date(2025, 4, 17), 8)) == _at(date(2025, 4, 22), 11)
    overdue = reminders.create(case, users["scout"].id, _at(date(2025, 3, 3), 7), "Anrufen")
    assert reminders.snoozed_until(overdue, 7, now=_at(date(2025, 3, 12), 12)) == _at(date(2025, 3, 19), 7)


def test_editing_a_reminder_changes_title_time_and_assignee(client, login, users):
    case = make_case(users["scout"])
    reminder = _remind(case, users["scout"], _at(_today() + timedelta(days=2)))
    login("scout")
    page = client.get(f"/reminders/{reminder.id}/edit").get_data(as_text=True)
    assert 'value="Termin vereinbaren"' in page and "Wiedervorlage bearbeiten" in page
    day = _today() + timedelta(days=4)
    response = client.post(f"/reminders/{reminder.id}/edit", data=_form("Termin bestätigen", day, "08:00",
                                                                        users["lead"].id))
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Reminder, reminder.id)
    assert (saved.title, saved.due_at, saved.assignee_id) == ("Termin bestätigen", _at(day, 8).astimezone(UTC),
                                                               users["lead"].id)
    assert db.session.get(Case, case.id).next_due_at == saved.due_at
    refused = client.post(f"/reminders/{reminder.id}/edit", data=_form("", day))
    assert refused.status_code == 422 and "Bitte beschreiben Sie, was zu tun ist." in refused.get_data(as_text=True)


def test_today_lists_my_overdue_and_due_today_reminders_oldest_first(client, login, users):
    mine = make_case(users["scout"], "Bäckerei Overkamp")
    other = make_case(users["scout2"], "Dachdeckerei Schulte")
    start = _at(_today(), 0, 1)
    _remind(mine, users["scout"], start, "Heute anrufen")
    _remind(mine, users["scout"], _at(_today() - timedelta(days=3), 7), "Längst überfällig")
    _remind(other, users["scout"], _at(_today() - timedelta(days=1), 7), "Fremder Fall, meine Aufgabe")
    _remind(mine, users["scout"], _at(_today() + timedelta(days=1), 0, 30), "Erst morgen")
    _remind(other, users["scout2"], start, "Aufgabe von Sven")
    done = _remind(mine, users["scout"], start, "Schon erledigt")
    reminders.complete(done, users["scout"])
    login("scout")
    page = client.get("/today").get_data(as_text=True)
    assert page.index("Längst überfällig") < page.index("Fremder Fall, meine Aufgabe") < page.index("Heute anrufen")
    assert "Erst morgen" not in page and "Aufgabe von Sven" not in page and "Schon erledigt" not in page
    assert page.count('class="overdue">überfällig seit') == 2
    overdue_day = (_today() - timedelta(days=3)).strftime("%d.%m.%Y")
    assert f'class="overdue">überfällig seit {overdue_day}</span>' in page
    assert '<span class="due-today">heute</span> um 00:01 Uhr' in page
    assert f'href="/cases/{other.id}">Dachdeckerei Schulte</a>' in page
    assert "Morgen" in page and "Nächste Woche" in page
    assert '<span class="badge">3<span class="visually-hidden"> fällige Wiedervorlagen</span>' in page


def test_today_buttons_complete_and_snooze_and_return_to_today(client, login, users):
    case = make_case(users["scout"])
    first = _remind(case, users["scout"], _at(_today(), 0, 1), "Anrufen")
    second = _remind(case, users["scout"], _at(_today() - timedelta(days=2), 7), "Mail schreiben")
    login("scout")
    response = client.post(f"/reminders/{first.id}/done?back=today")
    assert response.status_code == 302 and response.headers["Location"].startswith("/today")
    response = client.post(f"/reminders/{second.id}/snooze?back=today", data={"by": "day"})
    assert response.headers["Location"].startswith("/today")
    db.session.expire_all()
    assert db.session.get(Reminder, first.id).state == "done"
    assert db.session.get(Reminder, second.id).due_at.astimezone(BERLIN).date() > _today()
    page = client.get("/today").get_data(as_text=True)
    assert "Nichts fällig: Ihre Wiedervorlagen für heute sind erledigt." in page


def test_the_lead_has_today_too_and_the_admin_has_no_link(client, login, users):
    case = make_case(users["scout"])
    _remind(case, users["lead"], _at(_today(), 0, 1), "Fall besprechen")
    login("lead")
    assert "Fall besprechen" in client.get("/today").get_data(as_text=True)
    login("admin")
    assert ">Heute" not in client.get("/workshops").get_data(as_text=True)


def test_today_needs_the_same_number_of_queries_for_3_or_30_reminders(client, login, users):
    login("scout")
    case = make_case(users["scout"])

    def queries_for_today() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/today").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    for i in range(3):
        _remind(case, users["scout"], _at(_today(), 0, 1 + i), f"Aufgabe {i}")
    few = queries_for_today()
    for i in range(27):
        other = make_case(users["scout"], f"Betrieb {i}")
        _remind(other, users["scout"], _at(_today() - timedelta(days=1), 7), f"Alt {i}")
    assert queries_for_today() == few


def test_end_of_day_is_midnight_in_berlin(app):
    late_in_utc = datetime(2025, 3, 10, 23, 30, tzinfo=UTC)  # already 11 March in Berlin
    assert reminders.end_of_day(late_in_utc) == datetime(2025, 3, 12, 0, 0, tzinfo=BERLIN)



def test_the_badge_stops_counting_at_its_cap(client, login, users, monkeypatch):
    case = make_case(users["scout"])
    for hours in range(3):
        _remind(case, users["scout"], _at(_today() - timedelta(days=1), hours), f"Aufgabe {hours}")
    monkeypatch.setattr(queries, "DUE_COUNT_CAP", 2)
    login("scout")
    page = client.get("/today").get_data(as_text=True)
    assert '<span class="badge">2+<span class="visually-hidden">' in page
    assert "Aufgabe 0" in page and "Aufgabe 2" in page  # the list itself is not capped below a page
