"""The first check of a case (T0) beside a re-check (T1): the change per dimension.

The difference is the programme's measured impact, so only checks taken with the same
questionnaire version are compared (a re-check always takes its first check's version).
"""

from dataclasses import dataclass

from app.checks import questionnaire as qn
from app.checks.models import Check


@dataclass(frozen=True)
class Row:
    key: str
    name: str
    before: float | None
    after: float | None

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return round(self.after - self.before, 1)


@dataclass(frozen=True)
class Comparison:
    first: Check
    latest: Check
    rows: list[Row]

    @property
    def overall(self) -> Row:
        return Row("overall", "", self.first.overall_score, self.latest.overall_score)

    @property
    def overall_change(self) -> float | None:
        return self.overall.change


def compare(first: Check, latest: Check) -> Comparison:
    """Both checks' scores per dimension of their (shared) questionnaire version."""
    if first.questionnaire_version != latest.questionnaire_version:
        raise ValueError("only checks of the same questionnaire version can be compared")
    questionnaire = qn.load(first.questionnaire_version)
    rows = [Row(d.key, d.name, (first.scores or {}).get(d.key), (latest.scores or {}).get(d.key))
            for d in questionnaire.dimensions]
    return Comparison(first, latest, rows)


def comparison_for(checks: list[Check]) -> Comparison | None:
    """T0 and the latest re-check of the same version among a case's checks (any order), or None."""
    completed = sorted((c for c in checks if c.status == "completed" and c.completed_at),
                       key=lambda c: (c.completed_at, c.id))
    if len(completed) < 2:
        return None
    first = completed[0]
    later = [c for c in completed[1:] if c.questionnaire_version == first.questionnaire_version]
    return compare(first, later[-1]) if later else None
