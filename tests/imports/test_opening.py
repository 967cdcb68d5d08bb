"""The lead opens cases for a selection in one step: set-based, only for businesses without an open case, owners
round robin or one scout, and each new case has what opening one case gives it."""

import threading
from collections import Counter
from dataclasses import replace

import pytest
from sqlalchemy import func, insert, literal, select
from sqlalchemy.exc import OperationalError

from app.auth.models import User
from app.cases import readmodel, registry, services, workflow
from app.cases.models import Business, Case, CaseEvent
from app.errors import DomainError
from app.extensions import db
from app.imports import importer, opening
from app.imports.rows import guess_mapping
from app.privacy import erasure
from app.reference.models import Municipality, Trade
from app.reports import milestones
from app.scheduling.calendar import add_business_days
from app.scheduling.models import FollowUpRule, Reminder
from app.transactions import unit_of_work
from tests.factories import bring_to, make_case
from tests.imports.register import HEADERS, register_rows, write_csv
from tests.reports.test_support import assert_kept_equals_counted


def _import(tmp_path, rows) -> None:
    batches = importer.run(write_csv(tmp_path / "rolle.csv", rows), guess_mapping(HEADERS), update_existing=False,
                           apply=True)
    for _batch in batches:
        db.session.flush()
    db.session.commit()


def _town(name: str) -> Municipality:
    return db.session.scalar(select(Municipality).where(Municipality.name == name))


@pytest.mark.postgres
def test_cases_open_round_robin_for_a_trade_group_in_a_municipality(app, users, tmp_path):
    rows = register_rows(120)
    _import(tmp_path, rows)
    town = _town("Gelsenkirchen")
    selection = opening.Selection(municipality_id=town.id, trade_group="Ausbaugewerbe")
    wanted = set(db.session.scalars(select(Business.id).join(Trade).where(
        Business.municipality_id == town.id, Trade.group == "Ausbaugewerbe")))
    assert opening.count(selection) == len(wanted) > 2
    scouts = [users["scout"], users["scout2"]]
    with unit_of_work():
        opened = opening.open_cases(selection, [u.id for u in scouts], users["lead"])
    assert opened == len(wanted)
    cases = db.session.scalars(select(Case).where(Case.business_id.in_(wanted)).order_by(Case.business_id)).all()
    assert {c.business_id for c in cases} == wanted and all(c.state == "contacted" for c in cases)
    # Dealt in turn by business id: the owners alternate.
    owners = [c.owner_id for c in cases]
    assert owners == [scouts[i % 2].id for i in range(len(cases))]
    # Each case has its "opened" entry by the lead, and the activity column follows it.
    entries = db.session.execute(select(CaseEvent.case_id, CaseEvent.kind, CaseEvent.actor_id, CaseEvent.to_state)
                                 .where(CaseEvent.case_id.in_([c.id for c in cases]))).all()
    assert sorted(entries) == sorted((c.id, "opened", users["lead"].id, "contacted") for c in cases)
    assert all(c.last_activity_at == c.opened_at for c in cases)
    # The first state's reminder rule (contacted: +3 business days), as opening one case gives it.
    rule = db.session.scalar(select(FollowUpRule).where(FollowUpRule.state == "contacted"))
    due = add_business_days(cases[0].opened_at, rule.delay_days)
    reminders = db.session.scalars(select(Reminder).where(Reminder.case_id.in_([c.id for c in cases]))).all()
    assert Counter(r.case_id for r in reminders) == Counter({c.id: 1 for c in cases})
    for reminder in reminders:
        case = db.session.get(Case, reminder.case_id)
        assert (reminder.assignee_id, reminder.due_at, reminder.title, reminder.rule_id) == (
            case.owner_id, due, rule.title, rule.id)
        assert reminder.unique_key == f"rule:{rule.id}:case:{case.id}:at:{case.opened_at.isoformat()}"
        assert case.next_due_at == due
    # The read models equal a rebuild from the base tables (and the funder report's kept counts their counting).
    assert_kept_equals_counted()
    counts, cells, rows_ = readmodel.snapshot(), milestones.snapshot(), milestones.milestone_rows()
    with unit_of_work():
        readmodel.rebuild()
        milestones.rebuild()
    assert readmodel.snapshot() == counts
    assert milestones.snapshot() == cells and milestones.milestone_rows() == rows_
    # Nothing is left to open: a second click opens nothing.
    with unit_of_work():
        assert opening.open_cases(selection, [scouts[0].id], users["lead"]) == 0


def _register_business(name: str) -> int:
    """A business from the register, never contacted (a Tischler in Gelsenkirchen, like make_case's)."""
    trade = db.session.scalar(select(Trade).where(Trade.name == "Tischler"))
    with unit_of_work():
        business = Business(name=name, trade_id=trade.id, postcode="45879", municipality_id=_town("Gelsenkirchen").id)
        db.session.add(business)
    return business.id


@pytest.fixture
def mix(app, users) -> dict[str, int]:
    """Tischler businesses: one never contacted, one with a running case, one withdrawn, one implemented, and two
    anonymised (one never contacted, one withdrawn)."""
    scout = users["scout"]
    found = {"fresh": _register_business("Tischlerei Neu"),
             "running": make_case(scout, name="Tischlerei Läuft").business_id,
             "withdrawn": bring_to(make_case(scout, name="Tischlerei Zurück"), "withdrawn", scout).business_id,
             "implemented": bring_to(make_case(scout, name="Tischlerei Fertig"), "implemented", scout).business_id,
             "erased_fresh": _register_business("Tischlerei Gelöscht"),
             "erased_withdrawn": bring_to(make_case(scout, name="Tischlerei Weg"), "withdrawn", scout).business_id}
    with unit_of_work():
        erasure.erase([found["erased_fresh"], found["erased_withdrawn"]], users["lead"], reason="request")
    return found


def _tischler() -> opening.Selection:
    return opening.Selection(trade_id=db.session.scalar(select(Trade.id).where(Trade.name == "Tischler")))


def _cases_per_business() -> dict[int, int]:
    return dict(db.session.execute(select(Case.business_id, func.count()).group_by(Case.business_id)).all())


@pytest.mark.postgres
def test_bulk_opening_takes_only_new_businesses_unless_withdrawn_ones_are_asked_for_and_never_anonymised_ones(
        app, users, mix):
    default = _tischler()
    counts = opening.counts(default)
    assert counts == opening.Counts(new=1, withdrawn=1, running=2, anonymised=2, include_withdrawn=False)
    assert (counts.taken, counts.had_case, opening.count(default)) == (1, 3, 1)
    withdrawn_too = replace(default, include_withdrawn=True)
    assert (opening.counts(withdrawn_too).taken, opening.counts(withdrawn_too).had_case) == (2, 2)
    before = _cases_per_business()
    with unit_of_work():
        assert opening.open_cases(default, [users["scout2"].id], users["lead"]) == 1
    after = _cases_per_business()
    assert {b for b in after if after[b] != before.get(b, 0)} == {mix["fresh"]}
    with unit_of_work():
        assert opening.open_cases(withdrawn_too, [users["scout2"].id], users["lead"]) == 1
    latest = _cases_per_business()
    assert {b for b in latest if latest[b] != after.get(b, 0)} == {mix["withdrawn"]}  # an implemented case stays open
    newest = services.latest_case(db.session.get(Business, mix["withdrawn"]))
    assert newest.owner_id == users["scout2"].id and newest.state == "contacted"
    # The anonymised ones got nothing, and nothing is left to open.
    assert (latest.get(mix["erased_fresh"], 0), latest[mix["erased_withdrawn"]]) == (0, 1)
    assert opening.counts(withdrawn_too).taken == 0


def test_the_owners_must_be_active_scouts(app, users, tmp_path):
    _import(tmp_path, register_rows(3))
    for owners in ([], [users["lead"].id], [users["scout"].id, 999_999_999]):
        with pytest.raises(DomainError), unit_of_work():
            opening.open_cases(opening.Selection(), owners, users["lead"])
    assert db.session.scalar(select(func.count(Case.id))) == 0


def test_the_lead_opens_cases_from_the_page(app, client, login, users, tmp_path):
    _import(tmp_path, register_rows(12))
    login("lead")
    town = _town("Bottrop")
    expected = db.session.scalar(select(func.count(Business.id)).where(Business.municipality_id == town.id))
    page = client.get(f"/import/open-cases?municipality_id={town.id}")
    assert page.status_code == 200
    assert f"{expected} Betrieb" in page.get_data(as_text=True)
    refused = client.post("/import/open-cases", data={"municipality_id": town.id})
    assert refused.status_code == 400 and "Prozessscout" in refused.get_data(as_text=True)
    done = client.post("/import/open-cases", data={"municipality_id": town.id, "owners": [users["scout"].id]},
                       follow_redirects=True)
    assert done.status_code == 200
    assert db.session.scalar(select(func.count(Case.id))) == expected
    bad = client.get("/import/open-cases?municipality_id=abc")
    assert bad.status_code == 400


def test_the_page_says_how_many_are_left_out_and_why(app, client, login, users, mix):
    login("lead")
    trade_id = _tischler().trade_id
    page = client.get(f"/import/open-cases?trade_id={trade_id}").get_data(as_text=True)
    assert "Auch Betriebe, deren früherer Fall zurückgezogen wurde" in page
    assert ("1 Betrieb erhält einen Fall. Nicht berücksichtigt: 3 Betriebe hatten schon einen Fall, "
            "2 Betriebe sind anonymisiert.") in page
    ticked = client.get(f"/import/open-cases?trade_id={trade_id}&include_withdrawn=y").get_data(as_text=True)
    assert ("2 Betriebe erhalten einen Fall. Nicht berücksichtigt: 2 Betriebe haben einen laufenden Fall, "
            "2 Betriebe sind anonymisiert.") in ticked
    assert 'name="include_withdrawn" value="y"' in ticked  # the opening form carries the choice
    done = client.post("/import/open-cases", data={"trade_id": trade_id, "include_withdrawn": "y",
                                                   "owners": [users["scout"].id]}, follow_redirects=True)
    shown = done.get_data(as_text=True)
    assert done.status_code == 200
    assert ("2 Fälle wurden eröffnet. Nicht berücksichtigt: 2 Betriebe haben einen laufenden Fall, "
            "2 Betriebe sind anonymisiert.") in shown
    assert ("0 Betriebe erhalten einen Fall. Nicht berücksichtigt: 4 Betriebe haben einen laufenden Fall, "
            "2 Betriebe sind anonymisiert.") in shown  # back on the page with the same selection
    assert db.session.scalar(select(func.count(Case.id)).where(Case.business_id == mix["erased_fresh"])) == 0


def test_every_case_opened_hook_has_a_bulk_counterpart(app):
    """A module that reacts to one opened case must react to cases opened together as well (the funder report's
    support reacts to single cases through its flush listener, to bulk ones through the hook)."""
    hooks = registry.of(app)
    assert {h.__module__ for h in hooks.case_opened} <= {h.__module__ for h in hooks.cases_opened_in_bulk}


def test_an_insert_from_select_of_states_outside_the_workflow_is_refused(app, users):
    case = make_case(users["scout"])
    statement = insert(Case.__table__).from_select(
        ["business_id", "owner_id", "state"], select(Case.business_id, Case.owner_id, literal("implemented"))
        .where(Case.id == case.id))
    with pytest.raises(workflow.StateChangeRefused):
        db.session.execute(statement)
    db.session.rollback()


@pytest.mark.postgres
def test_two_leads_opening_the_same_selection_at_once_open_each_case_once(app, users, tmp_path):
    _import(tmp_path, register_rows(60))
    selection = opening.Selection(trade_group="Ausbaugewerbe")
    expected = opening.count(selection)
    lead_id, scout_id = users["lead"].id, users["scout"].id
    db.session.commit()
    barrier, results = threading.Barrier(2), []

    def open_them() -> None:
        with app.app_context():
            try:
                barrier.wait()
                with unit_of_work():
                    results.append(opening.open_cases(selection, [scout_id], db.session.get(User, lead_id)))
            except OperationalError as error:  # SQLite: the later writer's snapshot is stale, nothing is written
                results.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=open_them) for _i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert expected in results and sum(r for r in results if isinstance(r, int)) == expected
    per_business = db.session.execute(select(Case.business_id, func.count()).group_by(Case.business_id)).all()
    assert len(per_business) == expected and all(n == 1 for _b, n in per_business)
