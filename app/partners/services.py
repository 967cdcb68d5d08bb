"""Partner directory and referrals."""

from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, select, update

from app.auth.models import Role, User
from app.cases import consents
from app.cases.models import Case, CaseEvent
from app.cases.services import add_event, record_milestone
from app.cases.vocab import EventKind, State
from app.errors import DomainError
from app.extensions import db
from app.partners.models import Partner, Referral, partner_topics
from app.reference.loader import read_json
from app.reference.models import Topic
from app.scheduling import outbox, reminders
from app.scheduling import rules as follow_ups
from app.scheduling.calendar import add_business_days
from app.scheduling.models import FollowUpRule, OutboxMessage, Reminder
from app.timeutil import utcnow

ANSWER_WAIT_DAYS = 20  # working days the partner has to report back before the scout is reminded


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


def _has_topic(topic_id: int):
    return exists().where(partner_topics.c.partner_id == Partner.id, partner_topics.c.topic_id == topic_id)


def referral_choices(topic_id: int) -> tuple[list[Partner], int, int]:
    """The active partners a case can be referred to for a topic (they have an email address and the topic), and
    how many active partners are left out because they lack the topic, or the email address."""
    has_email, has_topic = Partner.email != "", _has_topic(topic_id)
    offered = list(db.session.scalars(select(Partner).where(Partner.active, has_email, has_topic)
                                      .order_by(Partner.name)))
    without_topic, without_email = db.session.execute(select(
        func.count().filter(~has_topic), func.count().filter(has_topic, ~has_email)
    ).select_from(Partner).where(Partner.active)).one()
    return offered, without_topic, without_email


def save_partner(partner: Partner, values: dict, topic_ids: list[int]) -> Partner:
    """Create or update a partner; names are unique (compared without case). A partner needs an email address
    (the referral mail goes there) and at least one expertise topic (referrals are offered by topic)."""
    name = values["name"].strip()
    if not (values.get("email") or "").strip():
        raise PartnerError(_("Please enter the partner's email address: the referral mail is sent there."), "email")
    if not topic_ids:
        raise PartnerError(_("Please choose at least one expertise topic."), "topic_ids")
    clash = select(Partner.id).where(func.lower(Partner.name) == name.lower())
    if partner.id is not None:
        clash = clash.where(Partner.id != partner.id)
    if db.session.scalar(clash.limit(1)) is not None:
        raise PartnerError(_("A partner with this name already exists."), "name")
    for key in ("kind", "city", "region", "email", "phone", "website", "description"):
        setattr(partner, key, (values.get(key) or "").strip())
    partner.name = name
    partner.active = bool(values.get("active"))
    partner.topics = list(db.session.scalars(select(Topic).where(Topic.id.in_(topic_ids))))
    db.session.add(partner)
    db.session.flush()
    return partner


def active_with_expertise(topic_ids: set[int], limit: int | None = None) -> list[Partner]:
    """Active partners with expertise in one of these topics, by name (only complete ones, with an email address)."""
    if not topic_ids:
        return []
    return list(db.session.scalars(
        select(Partner).where(Partner.active, Partner.email != "",
                              exists().where(partner_topics.c.partner_id == Partner.id,
                                             partner_topics.c.topic_id.in_(topic_ids)))
        .order_by(Partner.name).limit(limit)))


def has_referral(case: Case) -> bool:
    """The guard of the move to "referred": a referral that was not withdrawn."""
    return db.session.scalar(select(exists().where(Referral.case_id == case.id, Referral.withdrawn_at.is_(None))))


def referrals_for_case(case_id: int, *, withdrawn: bool = True) -> list[Referral]:
    """The case's referrals (withdrawn ones too, unless withdrawn=False), newest first, with partner and topic."""
    query = select(Referral).where(Referral.case_id == case_id)
    if not withdrawn:
        query = query.where(Referral.withdrawn_at.is_(None))
    return list(db.session.scalars(query.order_by(Referral.created_at.desc(), Referral.id.desc())))


def answer_reminder_key(referral: Referral) -> str:
    return f"referral:{referral.id}:partner-answer"


def close_answer_reminder(referral: Referral, state: str, reason: str) -> None:
    """The "partner has not answered" reminder is done once the partner answers (or the referral is withdrawn)."""
    reminder = db.session.scalar(select(Reminder).where(Reminder.unique_key == answer_reminder_key(referral),
                                                        Reminder.state == "open"))
    if reminder is not None:
        reminders.close(reminder, state, reason[:200])
        reminders.sync_next_due(referral.case_id)


def refer(case: Case, partner: Partner, topic: Topic, consent: bool, note: str, actor: User,
          move_on: bool) -> str | None:
    """Refer the case to a partner for a topic; perhaps move it. Returns why a wanted move did not happen."""
    if not consent:  # the form checks this too; the rule lives here so no other caller can skip it
        raise PartnerError(_("Without the business's consent we may not refer it to a partner."), "consent")
    if not partner.active:
        raise PartnerError(_("This partner is no longer active."), "partner_id")
    if not partner.email:
        raise PartnerError(_("This partner has no email address yet and cannot receive referrals."), "partner_id")
    if topic not in partner.topics:
        raise PartnerError(_("This partner has no expertise in the chosen topic."), "partner_id")
    now = utcnow()
    before = case.state
    referral = Referral(case_id=case.id, partner_id=partner.id, topic_id=topic.id, consent=True,
                        note=(note or "").strip(), created_by_id=actor.id, created_at=now)
    db.session.add(referral)
    # The consent to pass the business's data to this partner, as a record beside the email consent.
    consents.grant(case.business, consents.Purpose.REFERRAL, consents.Source.FORM, actor, note=partner.name)
    db.session.flush()
    text = _("Referred to %(partner)s for “%(topic)s”.", partner=partner.name, topic=topic.name)
    problem = record_milestone(case, "referral", EventKind.REFERRAL, actor, text, move_on,
                               referral_id=referral.id, partner_id=partner.id, topic_id=topic.id)
    if before == case.state and case.state in (State.REFERRED, State.IMPLEMENTED):
        _mail_partner_now(case)  # entering "referred" mails the partners; a later referral needs its own mail
    title = _("No answer yet from %(partner)s on the referral", partner=partner.name)
    reminders.create(case, case.owner_id, add_business_days(now, ANSWER_WAIT_DAYS), title[:200],
                     unique_key=answer_reminder_key(referral))
    db.session.flush()
    reminders.sync_next_due(case.id)
    return problem


def _mail_partner_now(case: Case) -> None:
    """Run the "referred" state's partner-mail rules again; their unique keys add only the new referral's mail."""
    entry = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                      CaseEvent.kind == EventKind.REFERRAL)
                              .order_by(CaseEvent.id.desc()).limit(1))
    for rule in db.session.scalars(select(FollowUpRule).where(
            FollowUpRule.state == State.REFERRED, FollowUpRule.action == "email_partner",
            FollowUpRule.active.is_(True))):
        follow_ups.schedule(rule, case, entry)


def withdraw(referral: Referral, actor: User, reason: str) -> None:
    """Withdraw a referral recorded by mistake: kept with the reason (and on the timeline), it no longer counts.

    Its partner mail is cancelled if not sent yet (also when the dispatcher has claimed it but not sent it), and
    the reminder about the partner's answer closes.
    """
    case = db.session.get(Case, referral.case_id)
    if actor.role != Role.LEAD and case.owner_id != actor.id:
        raise PartnerError(_("Only the case owner or the team lead may withdraw a referral."))
    if referral.withdrawn_at is not None:
        raise PartnerError(_("This referral has already been withdrawn."))
    reason = (reason or "").strip()
    if not reason:
        raise PartnerError(_("Please give a reason."), "reason")
    # A guarded UPDATE: of two withdrawals at once only one counts (the other finds it withdrawn).
    claimed = db.session.execute(
        update(Referral).where(Referral.id == referral.id, Referral.withdrawn_at.is_(None))
        .values(withdrawn_at=utcnow(), withdrawn_by_id=actor.id, withdraw_reason=reason)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise PartnerError(_("This referral has already been withdrawn."))
    db.session.refresh(referral)
    why = _("The referral to %(partner)s was withdrawn.", partner=referral.partner.name)
    unsent = db.session.execute(select(OutboxMessage.id, OutboxMessage.context).where(
        OutboxMessage.case_id == case.id, OutboxMessage.audience == "partner", OutboxMessage.status.in_(outbox.UNSENT)))
    outbox.cancel_unsent([id_ for id_, context in unsent if context.get("referral_id") == referral.id], why)
    close_answer_reminder(referral, "cancelled", why)
    add_event(case, EventKind.REFERRAL_WITHDRAWN, actor, reason, referral_id=referral.id,
              partner_id=referral.partner_id, topic_id=referral.topic_id)
    db.session.flush()
