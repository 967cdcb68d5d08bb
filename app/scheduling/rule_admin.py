"""The team lead's page of follow-up rules: list them by state, describe each, save, switch on and off.

A rule is read when a case enters its state, so a change applies to moves from then on; what was
already scheduled stays as it is.
"""

from dataclasses import dataclass

from app.cases import workflow
from app.extensions import db
from app.scheduling import queries
from app.scheduling.mail_templates import BASIS_LABELS, TEMPLATES, TYPE_LABELS
from app.scheduling.models import FollowUpRule


@dataclass(frozen=True)
class RuleRow:
    rule: FollowUpRule
    what: str  # the reminder's title, or the email template's label
    type: str | None  # the email's type and legal basis (None for a reminder)
    basis: str | None


@dataclass(frozen=True)
class StateRules:
    state: str
    label: str
    rows: list[RuleRow]


def describe(rule: FollowUpRule) -> RuleRow:
    template = TEMPLATES.get(rule.template_key or "")
    if rule.action == "reminder" or template is None:
        return RuleRow(rule, rule.title, None, None)
    return RuleRow(rule, str(template.label), str(TYPE_LABELS[template.type]), str(BASIS_LABELS[template.basis]))


def rules_by_state() -> list[StateRules]:
    """Every rule, grouped by the state that triggers it, in the pipeline's order."""
    by_state: dict[str, list[RuleRow]] = {state: [] for state in workflow.STATES}
    for rule in queries.all_rules():
        by_state.setdefault(rule.state, []).append(describe(rule))
    return [StateRules(state, workflow.state_label(state) if state in workflow.STATE_LABELS else state, rows)
            for state, rows in by_state.items()]


def save(rule: FollowUpRule, *, state: str, action: str, delay_days: int, title: str, template_key: str | None,
         until_answer: bool, active: bool) -> FollowUpRule:
    """Store a validated rule (RuleForm); a reminder keeps no template, an email no title."""
    is_reminder = action == "reminder"
    rule.state, rule.action, rule.delay_days, rule.active = state, action, delay_days, active
    rule.title = (title or "").strip() if is_reminder else ""
    rule.template_key = None if is_reminder else template_key
    rule.until_answer = bool(until_answer) if is_reminder else False
    if rule.id is None:
        db.session.add(rule)
    db.session.flush()
    return rule


def set_active(rule: FollowUpRule, active: bool) -> None:
    rule.active = active
    db.session.flush()
