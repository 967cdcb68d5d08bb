"""The pipeline's read model (app.cases.readmodel) always equals a rebuild from the base tables.

A rule-based Hypothesis machine opens cases, moves them (forward, withdraw, reopen, correct back),
reassigns them and edits businesses' municipality and trade; after every step the incremental counts must
equal the counts computed from cases, businesses and trades, and at the end a rebuild changes nothing.
"""

import os

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from app.auth.models import User
from app.cases import readmodel, registry, services, workflow
from app.cases.models import Business, Case, CaseCount
from app.demo_bulk import seed_bulk
from app.extensions import db
from app.reference.models import Municipality, Trade
from app.transactions import unit_of_work
from tests.factories import make_case

pytestmark = pytest.mark.postgres


def _from_base_tables() -> dict:
    return {(o, m, g, s): n for o, m, g, s, n in db.session.execute(readmodel.from_base_tables())}


class ReadModelMachine(RuleBasedStateMachine):
    scouts: list[User] = []
    lead: User = None
    towns: list[int] = []
    trades: list[int] = []

    def __init__(self) -> None:
        super().__init__()
        self.case_ids: list[int] = []

    def case(self, pick: int) -> Case:
        return db.session.get(Case, self.case_ids[pick % len(self.case_ids)])

    @initialize(town=st.integers(0, 50), trade=st.integers(0, 50), owner=st.integers(0, 1))
    def first_case(self, town: int, trade: int, owner: int) -> None:
        self.open_case(town, trade, owner)

    @rule(town=st.integers(0, 50), trade=st.integers(0, 50), owner=st.integers(0, 1))
    def open_case(self, town: int, trade: int, owner: int) -> None:
        scout = self.scouts[owner]
        business = Business(name=f"Betrieb {len(self.case_ids)}", postcode="45879",
                            trade_id=self.trades[trade % len(self.trades)],
                            municipality_id=self.towns[town % len(self.towns)])
        with unit_of_work():
            case = services.open_business_case(business, scout, scout)
        self.case_ids.append(case.id)

    @rule(pick=st.integers(0, 100), choice=st.integers(0, 20))
    def move(self, pick: int, choice: int) -> None:
        """Any move the table offers from the case's state: forward, withdraw, reopen or correct back."""
        case = self.case(pick)
        moves = [m for m in workflow.MOVES if m.source == case.state]
        chosen = moves[choice % len(moves)]
        with unit_of_work():
            workflow.move(case, chosen.target, self.lead, reason="Testgrund")

    @rule(pick=st.integers(0, 100), owner=st.integers(0, 1))
    def reassign(self, pick: int, owner: int) -> None:
        with unit_of_work():
            services.reassign([self.case(pick)], self.scouts[owner], self.lead)

    @rule(pick=st.integers(0, 100), town=st.none() | st.integers(0, 50), trade=st.none() | st.integers(0, 50))
    def edit_business(self, pick: int, town: int | None, trade: int | None) -> None:
        business = self.case(pick).business
        values = {name: getattr(business, name) for name in services.BUSINESS_FIELDS}
        if town is not None:
            values["municipality_id"] = self.towns[town % len(self.towns)]
        if trade is not None:
            values["trade_id"] = self.trades[trade % len(self.trades)]
        with unit_of_work():
            services.update_business(business, values, self.lead)

    @invariant()
    def incremental_equals_rebuild(self) -> None:
        assert readmodel.snapshot() == _from_base_tables()

    def teardown(self) -> None:
        before = readmodel.snapshot()
        with unit_of_work():
            readmodel.rebuild()
        assert readmodel.snapshot() == before


def test_read_model_equals_a_rebuild_after_any_sequence_of_operations(app, users):
    # Forward moves need records (checks, attendances, …); here every milestone counts as recorded.
    registry.current().guards.update(dict.fromkeys(registry.current().guards, lambda case: True))
    ReadModelMachine.scouts = [users["scout"], users["scout2"]]
    ReadModelMachine.lead = users["lead"]
    ReadModelMachine.towns = list(db.session.scalars(select(Municipality.id).order_by(Municipality.id).limit(4)))
    # Trades of different groups, and two of the same group (a trade edit that keeps the group moves nothing).
    by_group: dict[str, list[int]] = {}
    for trade_id, group in db.session.execute(select(Trade.id, Trade.group).order_by(Trade.id)):
        by_group.setdefault(group, []).append(trade_id)
    groups = sorted(by_group.values(), key=len, reverse=True)
    ReadModelMachine.trades = [*groups[0][:2], *(ids[0] for ids in groups[1:4])]
    phases = [Phase.explicit, Phase.reuse, Phase.generate]
    if os.environ.get("HYPOTHESIS_SHRINK"):
        phases.append(Phase.shrink)
    run_state_machine_as_test(ReadModelMachine, settings=settings(
        max_examples=12, stateful_step_count=15, deadline=None, database=None, phases=phases,
        suppress_health_check=[HealthCheck.too_slow]))


def test_the_cli_command_rebuilds_the_read_model(app, users):
    case = make_case(users["scout"])
    db.session.execute(CaseCount.__table__.delete())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["procheck", "rebuild-read-model"])
    assert result.exit_code == 0, result.output
    assert "Lesemodell neu aufgebaut" in result.output
    db.session.expire_all()
    assert readmodel.snapshot() == _from_base_tables()
    assert readmodel.per_state(owner_id=case.owner_id) == {"contacted": 1}


def test_the_bulk_seed_leaves_the_read_model_right(app, users):
    make_case(users["scout"])
    seed_bulk(300)
    assert readmodel.snapshot() == _from_base_tables()
    assert readmodel.total() == db.session.scalar(select(func.count()).select_from(Case))
