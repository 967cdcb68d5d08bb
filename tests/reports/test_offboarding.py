"""Disabling an account that owns cases hands them over first; the pipeline reassigns all cases of a filter."""


import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.cases.models import Case
from app.extensions import db
from app.scheduling import outbox, reminders
from app.scheduling.models import OutboxMessage, Reminder
from app.timeutil import today_berlin, utcnow
from app.transactions import unit_of_work
from tests.factories import bring_to, make_case


def _owned(user) -> set[int]:
    return set(db.session.scalars(select(Case.id).where(Case.owner_id == user.id)))


@pytest.mark.postgres
def test_offboarding_moves_cases_open_reminders_and_the_digest_then_disables(client, login, users):
    scout, scout2 = users["scout"], users["scout2"]
    cases = [make_case(scout, f"Betrieb {i}") for i in range(3)]
    bring_to(cases[2], "withdrawn", scout)
    lead_case = make_case(scout2, "Fremder Fall")
    with unit_of_work():
        own = reminders.create(cases[0], scout.id, utcnow(), "Termin vereinbaren")
        on_other = reminders.create(lead_case, scout.id, utcnow(), "Vertretung")
        done = reminders.create(cases[1], scout.id, utcnow(), "Erledigt")
        reminders.close(done, "done")
        day = today_berlin().isoformat()
        outbox.queue(recipient=scout.email, audience="staff", template_key="digest", due_at=utcnow(),
                     unique_key=f"digest:{scout.id}:{day}", context={"user_id": scout.id, "date": day})
    login("admin")

    # Disabling asks first: the admin lands on the hand-over page, which names the count; nothing changed yet.
    response = client.post(f"/admin/users/{scout.id}/active", data={"active": "0"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/users/{scout.id}/handover")
    page = client.get(f"/admin/users/{scout.id}/handover").get_data(as_text=True)
    assert "Sina Scout betreut 3 Fälle (davon 2 offen)." in page and "Alle Fälle von Sina Scout übergeben an" in page
    assert db.session.get(User, scout.id).active

    # Without a scout to take over: refused in German, nothing moved, the account stays active.
    refused = client.post(f"/admin/users/{scout.id}/handover", data={"new_owner": ""})
    assert refused.status_code == 422 and "Bitte wählen Sie einen aktiven Scout aus" in refused.get_data(as_text=True)
    assert len(_owned(scout)) == 3 and db.session.get(User, scout.id).active

    response = client.post(f"/admin/users/{scout.id}/handover", data={"new_owner": str(scout2.id)})
    assert response.status_code == 302
    assert "3 Fälle von Sina Scout wurden an Sven Scout übergeben; das Konto ist deaktiviert." in \
        client.get("/admin/users").get_data(as_text=True)
    assert _owned(scout) == set() and {c.id for c in cases} <= _owned(scout2)
    assert not db.session.get(User, scout.id).active
    assert db.session.get(Reminder, own.id).assignee_id == scout2.id
    assert db.session.get(Reminder, on_other.id).assignee_id == scout2.id
    assert db.session.get(Reminder, done.id).assignee_id == scout.id  # a closed reminder keeps its history
    digests = {row.unique_key: (row.recipient, row.status) for row in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template_key == "digest"))}
    assert digests == {f"digest:{scout.id}:{day}": (scout.email, "cancelled"),
                       f"digest:{scout2.id}:{day}": (scout2.email, "pending")}


def test_an_account_without_cases_is_disabled_at_once(client, login, users):
    login("admin")
    response = client.post(f"/admin/users/{users['scout2'].id}/active", data={"active": "0"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users")
    assert not db.session.get(User, users["scout2"].id).active


def test_inactive_owners_are_marked_in_the_pipeline_and_the_caseload(client, login, users):
    make_case(users["scout"], "Tischlerei Verwaist")
    users["scout"].active = False
    db.session.commit()
    login("lead")
    assert "Sina Scout (inaktiv)" in client.get("/pipeline").get_data(as_text=True)
    assert "Sina Scout (inaktiv)" in client.get("/cases?owner=all").get_data(as_text=True)


@pytest.mark.postgres
def test_reassign_all_matching_names_the_count_then_moves_exactly_the_filters_cases(client, login, users):
    scout, scout2 = users["scout"], users["scout2"]
    matching = {make_case(scout, f"Kontakt {i}").id for i in range(3)}
    other_state = bring_to(make_case(scout, "Schon geprüft"), "check_done", scout).id
    other_owner = make_case(users["scout2"], "Anderer Scout").id
    login("lead")
    url = f"/pipeline/reassign-matching?owner={scout.id}&state=contacted"

    confirm = client.post(url, data={"new_owner": str(scout2.id)})
    assert confirm.status_code == 200
    assert "3 Fälle entsprechen dem Filter und werden an Sven Scout übergeben." in confirm.get_data(as_text=True)
    assert _owned(scout) == matching | {other_state}  # nothing moved before the confirmation

    done = client.post(url, data={"new_owner": str(scout2.id), "confirmed": "y"})
    assert done.status_code == 302
    assert "3 Fälle wurden an Sven Scout übergeben." in client.get(done.headers["Location"]).get_data(as_text=True)
    assert _owned(scout) == {other_state}
    assert _owned(scout2) == matching | {other_owner}
    assert db.session.scalar(select(func.count()).select_from(Case)) == 5


def test_the_pipeline_offers_all_matching_with_the_count(client, login, users):
    for i in range(2):
        make_case(users["scout"], f"Betrieb {i}")
    login("lead")
    assert "Alle 2 Fälle dieses Filters übergeben" in client.get("/pipeline").get_data(as_text=True)




@pytest.mark.postgres
def test_a_bulk_reassignment_bumps_each_cases_version_and_activity(app, users):
    """Set-based, yet like one by one: a timeline entry per case, the latest activity now, and a version bump (an
    edit saved on the old version then fails as a conflict instead of overwriting the new owner)."""
    from app.cases.models import CaseEvent
    from app.cases.services import reassign_in_bulk

    cases = [make_case(users["scout"], f"Betrieb {n}") for n in range(3)]
    old_version = db.session.get(Case, cases[0].id).version
    with unit_of_work():
        assert reassign_in_bulk([case.id for case in cases], users["scout2"], users["lead"]) == 3
    rows = db.session.execute(select(Case.id, Case.owner_id, Case.version, Case.last_activity_at)
                              .where(Case.id.in_([case.id for case in cases]))).all()
    assert {row.owner_id for row in rows} == {users["scout2"].id} and {row.version for row in rows} == {old_version + 1}
    entries = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "reassigned")).all()
    assert sorted(entry.case_id for entry in entries) == sorted(case.id for case in cases)
    assert all(entry.data == {"from_owner": users["scout"].id, "to_owner": users["scout2"].id} for entry in entries)
    assert all(row.last_activity_at == entries[0].created_at for row in rows)
