"""The record panels on the case page; each domain package supplies its list through a service function."""

from dataclasses import dataclass

from app.cases.measures import measures_for_case
from app.cases.models import Case
from app.checks.services import checks_for_case
from app.partners.services import referrals_for_case
from app.workshops.services import attendances_for_case


@dataclass(frozen=True)
class Panel:
    template: str
    heading_id: str  # the id of the panel's h2, which names its section
    items: list


def panels_for(case: Case) -> list[Panel]:
    return [
        Panel("checks/_case_panel.html", "checks-panel-heading", checks_for_case(case.id)),
        Panel("workshops/_case_panel.html", "workshops-panel-heading", attendances_for_case(case.id)),
        Panel("partners/_case_panel.html", "referrals-panel-heading", referrals_for_case(case.id)),
        Panel("measures/_case_panel.html", "measures-panel-heading", measures_for_case(case.id)),
    ]
