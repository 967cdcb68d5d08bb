"""The funnel's read model (app.reports.milestones) equals a rebuild from cases and case_events after any
sequence of operations: opening, every move of the table (forward, withdraw, reopen, correct back) on days that
pass, reassignments and business edits (municipality, trade, number of employees)."""

import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test
from sqlalchemy import func, select

from app.cases import registry, services, workflow
from app.cases.models import Case
from app.extensions import db
from app.reference.models import Municipality, Trade
from app.reports import milestones
from app.timeutil import utcnow
from app.transactions import unit_of_work
from tests.cases.test_read_model import ReadModelMachine

pytestmark = pytest.mark.postgres

CLOCK = {"now": None}


def _tick():
    """The workflow's clock: days pass by the machine's rule, and each move is a second after the one before (the
    follow-up rules key their reminders by the moment a state was entered)."""
    CLOCK["now"] += timedelta(seconds=1)
    return CLOCK["now"]


class FunnelMachine(ReadModelMachine):
    @rule(days=st.integers(0, 40))
    def days_pass(self, days: int) -> None:
        CLOCK["now"] += timedelta(days=days, hours=1)

    @rule(pick=st.integers(0, 100), employees=st.none() | st.sampled_from([0, 9, 10, 49, 50, 249, 250]))
    def edit_employees(self, pick: int, employees: int | None) -> None:
        business = self.case(pick).business
        values = {name: getattr(business, name) for name in services.BUSINESS_FIELDS}
        with unit_of_work():
            services.update_business(business, {**values, "employees": employees}, self.lead)

    def teardown(self) -> None:
        super().teardown()
        cells, rows = milestones.snapshot(), milestones.milestone_rows()
        with unit_of_work():
            milestones.rebuild()
        assert milestones.milestone_rows() == rows
        assert milestones.snapshot() == cells


def test_funnel_read_model_equals_a_rebuild_after_any_sequence_of_operations(app, users, monkeypatch):
    registry.current().guards.update(dict.fromkeys(registry.current().guards, lambda case: True))
    CLOCK["now"] = utcnow()
    monkeypatch.setattr(workflow, "utcnow", _tick)
    FunnelMachine.scouts = [users["scout"], users["scout2"]]
    FunnelMachine.lead = users["lead"]
    FunnelMachine.towns = list(db.session.scalars(select(Municipality.id).order_by(Municipality.id).limit(3)))
    FunnelMachine.trades = list(db.session.scalars(select(Trade.id).order_by(Trade.id).limit(3)))
    phases = [Phase.explicit, Phase.reuse, Phase.generate]
    if os.environ.get("HYPOTHESIS_SHRINK"):
        phases.append(Phase.shrink)
    run_state_machine_as_test(FunnelMachine, settings=settings(
        max_examples=10, stateful_step_count=20, deadline=None, database=None, phases=phases,
        suppress_health_check=[HealthCheck.too_slow]))


def test_the_cli_command_rebuilds_the_funnel(app, users):
    from tests.factories import make_case

    make_case(users["scout"])
    before = milestones.snapshot()
    db.session.execute(milestones.FunnelCell.__table__.delete())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["procheck", "rebuild-funnel"])
    assert result.exit_code == 0, result.output
    assert "Trichter für 1 Fälle neu aufgebaut" in result.output
    assert milestones.snapshot() == before


def test_the_bulk_seed_rebuilds_the_funnel(app, users):
    from app.demo_bulk import seed_bulk

    seed_bulk(200)
    cells = milestones.snapshot()
    assert len(milestones.milestone_rows()) == 200
    opened = sum(values[0] for (_m, dim, _k, metric), values in cells.items() if (dim, metric) == ("all", "opened"))
    assert opened == 200
    withdrawn = sum(values[0] for (_m, dim, _k, metric), values in cells.items() if dim == "reason")
    assert withdrawn == db.session.scalar(select(func.count()).select_from(Case).where(Case.state == "withdrawn"))
