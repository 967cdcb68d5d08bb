"""The programme report's sums (app.checks.figures) always equal a rebuild from the case summaries.

A Hypothesis machine opens cases, completes first checks and re-checks (of the current or an older
questionnaire version, with different answers) and moves businesses to another municipality or trade; after every
step the sums kept on each completion and edit must equal the sums recomputed from the summaries.
"""

import os

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from app.auth.models import User
from app.cases import services
from app.cases.models import Case
from app.checks import figures
from app.checks.models import ProgrammeCell
from app.extensions import db
from app.reference.models import Municipality, Trade
from app.transactions import unit_of_work
from tests.factories import add_check, make_case

pytestmark = pytest.mark.postgres


def _rebuilt() -> dict:
    """What a rebuild would write, in the snapshot's form (without writing it)."""
    return {key: {name: round(sums.get(name, 0), 6) for name in figures.SUMS}
            for key, sums in figures.from_summaries(db.session.connection()).items()
            if any(round(value, 6) for value in sums.values())}


class FiguresMachine(RuleBasedStateMachine):
    scout: User = None
    towns: list[int] = []
    trades: list[int] = []

    def __init__(self) -> None:
        super().__init__()
        self.case_ids: list[int] = []
        self.versions: dict[int, str] = {}  # a re-check takes its T0's questionnaire version, as the app does

    def case(self, pick: int) -> Case:
        return db.session.get(Case, self.case_ids[pick % len(self.case_ids)])

    @initialize()
    def first_case(self) -> None:
        self.open_case()

    @rule()
    def open_case(self) -> None:
        self.case_ids.append(make_case(self.scout, name=f"Betrieb {len(self.case_ids)}").id)

    @rule(pick=st.integers(0, 100), implementation=st.integers(0, 4), relevance=st.integers(0, 3),
          version=st.sampled_from(["v1", "v2"]))
    def complete_check(self, pick: int, implementation: int, relevance: int, version: str) -> None:
        case = self.case(pick)
        version = self.versions.setdefault(case.id, version)
        add_check(case, implementation=implementation, relevance=relevance, version=version)

    @rule(pick=st.integers(0, 100), town=st.none() | st.integers(0, 50), trade=st.none() | st.integers(0, 50))
    def edit_business(self, pick: int, town: int | None, trade: int | None) -> None:
        business = self.case(pick).business
        values = {name: getattr(business, name) for name in services.BUSINESS_FIELDS}
        if town is not None:
            values["municipality_id"] = self.towns[town % len(self.towns)]
        if trade is not None:
            values["trade_id"] = self.trades[trade % len(self.trades)]
        with unit_of_work():
            services.update_business(business, values, self.scout)

    @invariant()
    def incremental_equals_rebuild(self) -> None:
        assert figures.snapshot() == _rebuilt()


def test_programme_sums_equal_a_rebuild_after_any_sequence_of_operations(app, users):
    FiguresMachine.scout = users["scout"]
    FiguresMachine.towns = list(db.session.scalars(select(Municipality.id).order_by(Municipality.id).limit(3)))
    by_group: dict[str, int] = {}
    for trade_id, group in db.session.execute(select(Trade.id, Trade.group).order_by(Trade.id)):
        by_group.setdefault(group, trade_id)
    FiguresMachine.trades = list(by_group.values())[:3]
    phases = [Phase.explicit, Phase.reuse, Phase.generate]
    if os.environ.get("HYPOTHESIS_SHRINK"):
        phases.append(Phase.shrink)
    run_state_machine_as_test(FiguresMachine, settings=settings(
        max_examples=8, stateful_step_count=12, deadline=None, database=None, phases=phases,
        suppress_health_check=[HealthCheck.too_slow]))


def test_a_rebuild_writes_what_the_completions_kept(app, users):
    case = make_case(users["scout"])
    add_check(case, implementation=1, version="v1")
    add_check(case, implementation=3, version="v1")
    kept = figures.snapshot()
    assert kept, "completing checks fills the programme's sums"
    overall = next(sums for key, sums in kept.items() if key[2] == figures.OVERALL)
    assert (overall["cases"], overall["rechecks"], overall["rechecked"], overall["change_n"]) == (1, 1, 1, 1)
    with unit_of_work():
        db.session.execute(ProgrammeCell.__table__.delete())
        assert figures.rebuild(db.session.connection()) == len(kept)
    assert figures.snapshot() == kept
