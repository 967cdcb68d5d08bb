"""What the emails to a business and to a partner show, loaded when the mail is first sent.

Each builder reads the current records of the case (checks, workshops, referrals, measures), so a
mail that waited ten business days in the outbox still tells the business what is true today.
"""

from dataclasses import dataclass, field

from flask_babel import format_decimal
from sqlalchemy import exists, select

from app.auth.models import User
from app.cases.models import Business, Case, Measure
from app.checks import questionnaire as qn
from app.checks.answers import implementation
from app.checks.models import Check
from app.checks.recommendations import recommend
from app.extensions import db
from app.partners.models import Partner, Referral, partner_topics
from app.partners.services import referrals_for_case
from app.reference.models import Topic
from app.scheduling import links
from app.scheduling.mails import context_builder
from app.scheduling.models import OutboxMessage
from app.scheduling.responses import ANSWERS
from app.timeutil import utcnow
from app.workshops.models import Workshop
from app.workshops.services import attendances_for_case

WEAKEST = 3  # dimensions named in the results mail
MEASURES_PER_DIMENSION = 3
WORKSHOPS_SHOWN = 5
PARTNERS_SHOWN = 3


def quoted_list(names) -> str:
    """„A“, „B“ und „C“: names that contain commas themselves stay readable."""
    quoted = [f"„{name}“" for name in dict.fromkeys(names)]
    return " und ".join(filter(None, (", ".join(quoted[:-1]), quoted[-1]))) if quoted else ""


def points(value: float | None) -> str:
    return "–" if value is None else format_decimal(value, "0.#")


@dataclass
class DimensionResult:
    key: str
    name: str
    score: float | None
    topics: tuple[str, ...]
    measures: list[str] = field(default_factory=list)

    @property
    def points(self) -> str:
        return points(self.score)


@dataclass
class CheckSummary:
    check: Check
    dimensions: list[DimensionResult]
    weakest: list[DimensionResult]
    level_name: str

    @property
    def overall(self) -> str:
        return points(self.check.overall_score)


def latest_check(case_id: int, first: bool = False) -> Check | None:
    """The case's latest completed check (or its first one, the baseline a re-check is compared with)."""
    order = (Check.completed_at, Check.id) if first else (Check.completed_at.desc(), Check.id.desc())
    return db.session.scalar(select(Check).where(Check.case_id == case_id, Check.status == "completed")
                             .order_by(*order).limit(1))


def _open_measures(questionnaire: qn.Questionnaire, dimension: qn.Dimension, answers: dict) -> list[str]:
    """Measures of the items not yet fully implemented (all of the dimension's when every item is)."""
    def collect(items) -> list[str]:
        found: list[str] = []
        for item in items:
            found.extend(m for m in item.measures if m not in found)
        return found

    open_items = [item for item in dimension.items
                  if (implementation(answers.get(item.key)) or 0) < questionnaire.max_value]
    return (collect(open_items) or collect(dimension.items))[:MEASURES_PER_DIMENSION]


def summarise(check: Check) -> CheckSummary:
    """Scores per dimension (names from the check's own questionnaire version) and the weakest ones."""
    questionnaire = qn.load(check.questionnaire_version)
    scores = check.scores or {}
    dimensions = [DimensionResult(d.key, d.name, scores.get(d.key), d.topics) for d in questionnaire.dimensions]
    weakest = sorted((d for d in dimensions if d.score is not None), key=lambda d: d.score)[:WEAKEST]
    by_key = {d.key: d for d in questionnaire.dimensions}
    for result in weakest:
        result.measures = _open_measures(questionnaire, by_key[result.key], check.answers or {})
    return CheckSummary(check, dimensions, weakest, questionnaire.level_name(check.level))


def _case(row: OutboxMessage) -> Case:
    return db.session.get(Case, row.context.get("case_id") or row.case_id)


def _common(case: Case) -> dict:
    business: Business = case.business
    scout: User = case.owner
    greeting = f"Guten Tag {business.contact_name}," if business.contact_name else "Guten Tag,"
    return {"case": case, "business": business, "scout": scout, "greeting": greeting, "reply_to": scout.email,
            "quoted_list": quoted_list}


def _topics_of(keys: set[str]) -> list[Topic]:
    return list(db.session.scalars(select(Topic).where(Topic.key.in_(keys)))) if keys else []


@context_builder("check_results")
def check_results(row: OutboxMessage) -> dict:
    """What the result page shows: scores per dimension, overall and level, and the top gaps, each with its
    suggested measures, upcoming workshops and partners (the same app.checks.recommendations.recommend)."""
    case = _case(row)
    check = latest_check(case.id)
    if check is None:
        return {**_common(case), "summary": None, "questionnaire": None, "recommendations": []}
    questionnaire = qn.load(check.questionnaire_version)
    return {**_common(case), "summary": summarise(check), "questionnaire": questionnaire,
            "recommendations": recommend(questionnaire, check.answers or {})}


@context_builder("self_check")
def self_check(row: OutboxMessage) -> dict:
    """The signed link to fill in the check; valid until submitted (its nonce is used only then)."""
    case = _case(row)
    return {**_common(case), "self_check_url": links.make_url("self_check", case_id=case.id,
                                                               business_id=case.business_id),
            "valid_days": int(links.max_age("self_check").days)}


@context_builder("workshop_suggestions")
def workshop_suggestions(row: OutboxMessage) -> dict:
    """Upcoming workshops whose topic matches the topics of the weakest dimensions."""
    case = _case(row)
    check = latest_check(case.id)
    summary = summarise(check) if check else None
    keys = {key for d in summary.weakest for key in d.topics} if summary else set()
    topic_ids = [t.id for t in _topics_of(keys)]
    workshops = list(db.session.scalars(
        select(Workshop).where(Workshop.topic_id.in_(topic_ids), Workshop.starts_at >= utcnow())
        .order_by(Workshop.starts_at, Workshop.id).limit(WORKSHOPS_SHOWN))) if topic_ids else []
    return {**_common(case), "summary": summary, "workshops": workshops}


def _partners_for(topic_ids: set[int]) -> list[Partner]:
    if not topic_ids:
        return []
    return list(db.session.scalars(
        select(Partner).where(Partner.active, exists().where(partner_topics.c.partner_id == Partner.id,
                                                             partner_topics.c.topic_id.in_(topic_ids)))
        .order_by(Partner.name).limit(PARTNERS_SHOWN)))


@context_builder("workshop_thanks")
def workshop_thanks(row: OutboxMessage) -> dict:
    case = _case(row)
    attended = [a.workshop for a in attendances_for_case(case.id)]
    return {**_common(case), "workshops": attended, "partners": _partners_for({w.topic_id for w in attended[:1]})}


@context_builder("referral_info")
def referral_info(row: OutboxMessage) -> dict:
    case = _case(row)
    return {**_common(case), "referrals": [r for r in referrals_for_case(case.id) if r.consent]}


@context_builder("referral_partner")
def referral_partner(row: OutboxMessage) -> dict:
    """For the partner: who the business is, what it needs, and the scout who referred it."""
    case = _case(row)
    referral = db.session.get(Referral, row.context.get("referral_id"))
    scout = db.session.get(User, referral.created_by_id) if referral and referral.created_by_id else case.owner
    return {**_common(case), "referral": referral, "scout": scout, "reply_to": scout.email}


@context_builder("how_is_it_going")
def how_is_it_going(row: OutboxMessage) -> dict:
    """Three one-click answers; they share one nonce, so the mail can be answered once."""
    case = _case(row)
    nonce = links.new_nonce("answer", case_id=case.id, business_id=case.business_id)
    answer_links = [(key, label, links.make_url("answer", nonce=nonce, a=key)) for key, label in ANSWER_WORDS.items()]
    return {**_common(case), "answer_links": answer_links, "referrals": referrals_for_case(case.id)}


# The words of the answer buttons in the mail (the mail templates are written in German).
ANSWER_WORDS = {"implemented": "umgesetzt", "in_progress": "in Arbeit", "need_help": "brauche Unterstützung"}
assert set(ANSWER_WORDS) == set(ANSWERS), "every answer needs its word in the mail"


@context_builder("recheck_invitation")
def recheck_invitation(row: OutboxMessage) -> dict:
    case = _case(row)
    check = latest_check(case.id, first=True)
    measures = list(db.session.scalars(
        select(Measure).where(Measure.case_id == case.id, Measure.status == "implemented")
        .order_by(Measure.implemented_on.desc(), Measure.id.desc()).limit(5)))
    return {**_common(case), "summary": summarise(check) if check else None, "measures": measures}
