"""From the moment an offboarding is queued until its job is done or failed the account is "leaving": still active,
but no new work goes to it (public requests, bulk opening, reassign dropdowns), and the users list says so."""

import re

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.cases import services
from app.cases.models import Case
from app.errors import DomainError
from app.extensions import db
from app.intake import assignment
from app.intake.models import CheckRequest, IntakeAssignment
from app.reference.models import Municipality
from app.reports import handover_worker, offboarding
from app.reports.handover_models import HandoverJob, JobStatus
from app.scheduling import reminders
from app.transactions import unit_of_work
from tests.factories import make_case
from tests.intake.conftest import confirm_path, latest_request, send
from tests.mailflow import BASE_URL

pytestmark = pytest.mark.postgres  # the mark is set and cleared in the job's transactions

LEAVING_CASES = 4


@pytest.fixture
def queued(app, client, login, users) -> HandoverJob:
    """Sina Scout (set for Gelsenkirchen, the less busy scout) is being offboarded to Sven Scout by a queued job."""
    app.config["PUBLIC_BASE_URL"] = BASE_URL
    app.config["HANDOVER_INLINE_MAX"] = 3
    scout, scout2 = users["scout"], users["scout2"]
    for i in range(LEAVING_CASES):
        make_case(scout, f"Betrieb {i}")
    for i in range(LEAVING_CASES + 2):
        make_case(scout2, f"Firma {i}")
    with unit_of_work():
        assignment.assign(_town("Gelsenkirchen").id, scout)
    login("admin")
    response = client.post(f"/admin/users/{scout.id}/handover", data={"new_owner": str(scout2.id)})
    job = db.session.scalars(select(HandoverJob)).one()
    assert response.headers["Location"].endswith(f"/handovers/{job.id}")
    return job


def _town(name: str) -> Municipality:
    return db.session.scalar(select(Municipality).where(Municipality.name == name))


def _account(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def _users_row(client, name: str) -> str:
    page = client.get("/admin/users").get_data(as_text=True)
    return re.search(rf"<tr>\s*<td>{name}</td>.*?</tr>", page, re.S).group(0)


def _new_owner_options(page: str) -> set[str]:
    """The names the reassign dropdown offers."""
    select_html = re.search(r'<select[^>]*name="new_owner".*?</select>', page, re.S).group(0)
    return set(re.findall(r"<option[^>]*>([^<]+)</option>", select_html)) - {"–"}


def _request_owner(client, email: str) -> int:
    """A public request from Gelsenkirchen, confirmed: the owner of the case it opened."""
    assert send(client, email=email, name=f"Betrieb {email}").status_code == 302
    row = latest_request()
    assert client.post(confirm_path(row)).status_code == 200
    db.session.expire_all()
    return db.session.get(Case, db.session.get(CheckRequest, row.id).case_id).owner_id


def test_while_queued_the_leaving_scout_gets_no_new_work_and_the_mark_goes_when_done(
        client, login, users, queued):
    scout, scout2 = users["scout"], users["scout2"]
    assert _account(scout).active and _account(scout).leaving
    assert "wird übergeben" in _users_row(client, "Sina Scout")
    assert "wird übergeben" not in _users_row(client, "Sven Scout")

    # The municipality's scout is leaving, and the fewest-open-cases rule skips her too.
    assert _request_owner(client, "erste@example.org") == scout2.id
    assert scout not in reminders.assignees()

    login("lead")
    bulk = client.get("/import/open-cases").get_data(as_text=True)
    assert "Sven Scout" in bulk and "Sina Scout" not in bulk
    refused = client.post("/import/open-cases", data={"owners": [scout.id]})
    assert refused.status_code == 400 and "Prozessscout" in refused.get_data(as_text=True)
    pipeline = client.get("/pipeline").get_data(as_text=True)
    assert "Sina Scout" in pipeline  # her cases are still counted under her name
    assert _new_owner_options(pipeline) == {"Sven Scout"}
    case_id = db.session.scalar(select(Case.id).where(Case.owner_id == scout2.id).limit(1))
    assert client.post("/pipeline/reassign", data={"case_ids": [case_id], "new_owner": scout.id}).status_code == 400
    assert db.session.get(Case, case_id).owner_id == scout2.id

    assert handover_worker.handover_job() == 1
    job = db.session.get(HandoverJob, queued.id, populate_existing=True)
    assert job.status == JobStatus.DONE
    account = _account(scout)
    assert not account.active and not account.leaving
    login("admin")
    assert "wird übergeben" not in _users_row(client, "Sina Scout")


def test_a_failed_hand_over_clears_the_mark_so_the_scout_takes_work_and_the_admin_may_start_again(
        client, login, users, queued):
    scout, scout2 = users["scout"], users["scout2"]
    _account(scout2).active = False  # the new owner left meanwhile: the job fails
    db.session.commit()
    handover_worker.handover_job()
    assert db.session.get(HandoverJob, queued.id, populate_existing=True).status == JobStatus.FAILED
    account = _account(scout)
    assert account.active and not account.leaving
    assert "wird übergeben" not in _users_row(client, "Sina Scout")
    assert _request_owner(client, "zweite@example.org") == scout.id  # the municipality's scout again

    _account(scout2).active = True
    db.session.commit()
    again = client.post(f"/admin/users/{scout.id}/handover", data={"new_owner": str(scout2.id)})
    assert again.status_code == 302 and "/handovers/" in again.headers["Location"]
    assert _account(scout).leaving


def test_a_leaving_account_is_not_taken_as_the_new_owner_of_a_hand_over(users, queued):
    with pytest.raises(offboarding.ReassignRefused):
        offboarding.take_over(users["scout"].id)


def test_a_leaving_scout_creates_no_case_of_their_own_and_keeps_their_municipality(queued, users):
    scout, scout2 = (db.session.get(User, users[name].id) for name in ("scout", "scout2"))
    with pytest.raises(DomainError) as refused:
        services.case_owner(scout, None)
    assert "werden gerade übergeben" in str(refused.value.message)
    assert services.case_owner(scout, scout2.id) == scout2
    town = _town("Gelsenkirchen")
    with unit_of_work():  # the page shows her municipality as automatic; saving it as such keeps her row
        assert assignment.save({town.id: None}, users["lead"]) == 0
    assert db.session.get(IntakeAssignment, town.id).scout_id == scout.id
