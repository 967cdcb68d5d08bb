"""What to do first: the largest gaps of a check, each with suggested measures, upcoming workshops on
its topics and partners with matching expertise.

Built in a fixed number of queries however many gaps, workshops or partners there are: the topics,
the upcoming workshops, the partners (with their topics) and the region's municipalities are each
loaded once and matched in Python.
"""

from dataclasses import dataclass, field

from sqlalchemy import select

from app.checks import answers as ans
from app.checks.questionnaire import Questionnaire
from app.checks.scoring import Gap, gaps
from app.extensions import db
from app.inputs import parse_int
from app.partners.models import Partner
from app.partners.services import active_with_expertise
from app.reference.models import Municipality, Topic
from app.workshops.models import Workshop
from app.workshops.services import upcoming_on_topics

TOP_GAPS = 5
WORKSHOPS_PER_GAP = 3
PARTNERS_PER_GAP = 3
WORKSHOPS_LOADED = 100  # upcoming workshops on any of the gaps' topics, soonest first


@dataclass(frozen=True)
class Suggestion:
    """A suggested measure; ref names it in the questionnaire ("item_key:index"), so a form never sends text."""

    ref: str
    text: str
    topic_key: str | None


@dataclass
class Recommendation:
    gap: Gap
    suggestions: list[Suggestion]
    workshops: list[Workshop] = field(default_factory=list)
    partners: list[Partner] = field(default_factory=list)


def workshop_topics(gap: Gap) -> tuple[str, ...]:
    return gap.item.topics or gap.dimension.topics


def expertise(gap: Gap) -> tuple[str, ...]:
    return gap.item.expertise or gap.dimension.expertise


def suggestions_for(gap: Gap) -> list[Suggestion]:
    """The item's measures, or its dimension's when the item has none."""
    topic = (workshop_topics(gap) or (None,))[0]
    if gap.item.measures:
        return [Suggestion(f"{gap.item.key}:{i}", text, topic) for i, text in enumerate(gap.item.measures)]
    return [Suggestion(f"{gap.dimension.key}:{i}", text, topic) for i, text in enumerate(gap.dimension.measures)]


def find_suggestion(questionnaire: Questionnaire, ref: str) -> Suggestion | None:
    """The suggestion a form sent back by its ref, or None for an unknown one."""
    key, _sep, digits = ref.partition(":")
    index = parse_int(digits, minimum=0)
    if index is None:
        return None
    for dimension in questionnaire.dimensions:
        owners = [(item, item.measures, item.topics or dimension.topics) for item in dimension.items]
        owners.append((dimension, dimension.measures, dimension.topics))
        for owner, measures, topics in owners:
            if owner.key == key and index < len(measures):
                return Suggestion(ref, measures[index], (topics or (None,))[0])
    return None


def recommend(questionnaire: Questionnaire, answers: ans.Answers, limit: int = TOP_GAPS) -> list[Recommendation]:
    """The top gaps with their measures, upcoming workshops and partners (five queries in all)."""
    recommendations = [Recommendation(gap, suggestions_for(gap)) for gap in gaps(questionnaire, answers, limit)]
    keys = {key for r in recommendations for key in (*workshop_topics(r.gap), *expertise(r.gap))}
    if not keys:
        return recommendations
    topics = {topic.id: topic.key for topic in db.session.scalars(select(Topic).where(Topic.key.in_(keys)))}
    workshops = upcoming_on_topics(list(topics), WORKSHOPS_LOADED)
    partners = active_with_expertise(set(topics))  # Partner.topics comes by selectin loading: one more query
    region = set(db.session.scalars(select(Municipality.name)))
    for recommendation in recommendations:
        wanted = set(workshop_topics(recommendation.gap))
        recommendation.workshops = [w for w in workshops
                                    if wanted & {t.key for t in w.all_topics}][:WORKSHOPS_PER_GAP]
        needed = set(expertise(recommendation.gap))
        # Partners in the region first (a business goes to a partner it can reach), then the best match: those
        # covering most of the needed expertise (sorted is stable: then by name).
        matching = [p for p in partners if needed & {t.key for t in p.topics}]
        matching.sort(key=lambda p: (p.city not in region, -len(needed & {t.key for t in p.topics})))
        recommendation.partners = matching[:PARTNERS_PER_GAP]
    return recommendations
