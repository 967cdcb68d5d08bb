"""Partner directory and referrals."""

from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, select

from app.auth.models import User
from app.cases import consents
from app.cases.models import Case
from app.cases.services import record_milestone
from app.cases.vocab import EventKind
from app.errors import DomainError
from app.extensions import db
from app.partners.models import Partner, Referral, partner_topics
from app.reference.loader import read_json
from app.reference.models import Topic
from app.timeutil import utcnow


class PartnerError(DomainError):
    """A rule of the directory or of referrals is broken; field and (German) message say which."""


def seed_partners() -> None:
    """Insert the seeded partner directory (app/data/partners.json) where a name is missing."""
    known = set(db.session.scalars(select(Partner.name)))
    topics = {t.key: t for t in db.session.scalars(select(Topic))}
    for entry in read_json("partners.json"):
        if entry["name"] in known:
            continue
        keys = entry.pop("topics")
        db.session.add(Partner(**entry, topics=[topics[k] for k in keys]))
    db.session.flush()


def topics() -> list[Topic]:
    return list(db.session.scalars(select(Topic).order_by(Topic.name)))


def directory(topic_id: int | None = None, kind: str | None = None) -> Select:
    """Partners, active ones first, optionally with one expertise topic and of one kind (topics load in one go)."""
    query = select(Partner).order_by(Partner.active.desc(), Partner.name)
    if topic_id:
        query = query.where(exists().where(partner_topics.c.partner_id == Partner.id,
                                           partner_topics.c.topic_id == topic_id))
    if kind:
        query = query.where(Partner.kind == kind)
    return query


def active_partners() -> list[Partner]:
    return list(db.session.scalars(select(Partner).where(Partner.active).order_by(Partner.name)))


def save_partner(partner: Partner, values: dict, topic_ids: list[int]) -> Partner:
    """Create or update a partner; names are unique (compared without case)."""
    name = values["name"].strip()
    clash = select(Partner.id).where(func.lower(Partner.name) == name.lower())
    if partner.id is not None:
        clash = clash.where(Partner.id != partner.id)
    if db.session.scalar(clash.limit(1)) is not None:
        raise PartnerError(_("A partner with this name already exists."), "name")
    for key in ("kind", "city", "email", "phone", "website", "description"):
        setattr(partner, key, (values.get(key) or "").strip())
    partner.name = name
    partner.active = bool(values.get("active"))
    partner.topics = list(db.session.scalars(select(Topic).where(Topic.id.in_(topic_ids)))) if topic_ids else []
    db.session.add(partner)
    db.session.flush()
    return partner


def active_with_expertise(topic_ids: set[int], limit: int | None = None) -> list[Partner]:
    """Active partners with expertise in one of these topics, by name."""
    if not topic_ids:
        return []
    return list(db.session.scalars(
        select(Partner).where(Partner.active, exists().where(partner_topics.c.partner_id == Partner.id,
                                                             partner_topics.c.topic_id.in_(topic_ids)))
        .order_by(Partner.name).limit(limit)))


def has_referral(case: Case) -> bool:
    """The guard of the move to "referred"."""
    return db.session.scalar(select(exists().where(Referral.case_id == case.id)))


def referrals_for_case(case_id: int) -> list[Referral]:
    """The case's referrals, newest first, with partner and topic (one query)."""
    return list(db.session.scalars(
        select(Referral).where(Referral.case_id == case_id).order_by(Referral.created_at.desc(), Referral.id.desc())
    ))


def refer(case: Case, partner: Partner, topic: Topic, consent: bool, note: str, actor: User,
          move_on: bool) -> str | None:
    """Refer the case to a partner for a topic; perhaps move it. Returns why a wanted move did not happen."""
    if not consent:  # the form checks this too; the rule lives here so no other caller can skip it
        raise PartnerError(_("Without the business's consent we may not refer it to a partner."), "consent")
    if not partner.active:
        raise PartnerError(_("This partner is no longer active."), "partner_id")
    referral = Referral(case_id=case.id, partner_id=partner.id, topic_id=topic.id, consent=True,
                        note=(note or "").strip(), created_by_id=actor.id, created_at=utcnow())
    db.session.add(referral)
    # The consent to pass the business's data to this partner, as a record beside the email consent.
    consents.grant(case.business, consents.Purpose.REFERRAL, consents.Source.FORM, actor, note=partner.name)
    db.session.flush()
    text = _("Referred to %(partner)s for “%(topic)s”.", partner=partner.name, topic=topic.name)
    return record_milestone(case, "referral", EventKind.REFERRAL, actor, text, move_on,
                            referral_id=referral.id, partner_id=partner.id, topic_id=topic.id)
