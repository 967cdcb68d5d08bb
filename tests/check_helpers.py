"""Filling in the check over HTTP in tests: one step's form data, a whole check, a case with a T0."""

from sqlalchemy import select

from app.checks import questionnaire as qn
from app.checks.models import Check
from app.extensions import db


def step_data(step: int, implementation: str = "2", relevance: str = "3", version: str = "v2", **overrides) -> dict:
    """Both ratings of every item of one step (1-based); overrides: q_<key>/r_<key> -> value."""
    questionnaire = qn.load(version)
    data = {}
    for item in questionnaire.dimensions[step - 1].items:
        data[f"q_{item.key}"] = implementation
        if questionnaire.rates_relevance:
            data[f"r_{item.key}"] = relevance
    data.update(overrides)
    return data


def start(client, case) -> Check:
    response = client.post(f"/cases/{case.id}/checks")
    assert response.status_code == 302 and "/checks/" in response.headers["Location"]
    return db.session.scalar(select(Check).where(Check.case_id == case.id).order_by(Check.id.desc()))


def fill_in(client, check: Check, implementation: str = "2", relevance: str = "3", per_step: dict | None = None):
    """Answer every step (per_step: step -> (implementation, relevance)) and arrive at the review."""
    questionnaire = qn.load(check.questionnaire_version)
    for step in range(1, len(questionnaire.dimensions) + 1):
        impl, rel = (per_step or {}).get(step, (implementation, relevance))
        response = client.post(f"/checks/{check.id}/steps/{step}",
                               data={**step_data(step, impl, rel, check.questionnaire_version), "go": "next"})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def complete(client, check: Check, move_on: bool = True):
    review = len(qn.load(check.questionnaire_version).dimensions) + 1
    data = {"go": "complete", **({"move_on": "y"} if move_on else {})}
    return client.post(f"/checks/{check.id}/steps/{review}", data=data, follow_redirects=True)
