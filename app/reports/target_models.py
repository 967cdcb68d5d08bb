"""The programme's targets per programme year, and the indexes the funder's report reads through.

The indexes sit on other packages' tables but are declared here, beside the report that needs them (reports is
the top package: it may know their models; they need not know the report). Each serves one period filter:
completed checks by completion time, referrals by creation, implemented measures by day, cases by opening.
"""

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.cases.models import Case, Measure
from app.checks.models import Check
from app.extensions import db
from app.partners.models import Referral

# The figures a programme plans per year, in the order the targets page shows them.
METRICS = ("businesses_reached", "checks", "workshop_participants", "referrals", "implemented_measures", "rechecks")


class ProgrammeTarget(db.Model):
    """What the programme plans to reach in one programme year (1..3) for one metric; missing means no target."""

    __tablename__ = "programme_targets"
    __table_args__ = (
        CheckConstraint("year BETWEEN 1 AND 3", name="year_in_programme"),
        CheckConstraint("target >= 0", name="target_not_negative"),
        CheckConstraint("metric IN ('" + "', '".join(METRICS) + "')", name="metric_known"),
    )

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    target: Mapped[int]


# Covering indexes: the report's counts are answered from the index alone (no visit to the wide rows).
Index("ix_checks_status_completed", Check.status, Check.completed_at, Check.kind, Check.case_id)
Index("ix_referrals_created", Referral.created_at, Referral.partner_id, Referral.case_id)
Index("ix_measures_status_implemented", Measure.status, Measure.implemented_on, Measure.topic_id, Measure.case_id)
Index("ix_cases_opened", Case.opened_at, Case.business_id)
