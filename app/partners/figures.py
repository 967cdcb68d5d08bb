"""Per partner: how many referrals it got, how many it answered, and how many led to an implemented measure."""

from dataclasses import dataclass

from sqlalchemy import case, exists, func, select

from app.cases.models import Measure
from app.cases.vocab import MeasureStatus
from app.extensions import db
from app.partners.models import Partner, Referral


@dataclass(frozen=True)
class PartnerFigures:
    partner: Partner
    referrals: int
    answered: int
    implemented: int


def per_partner() -> list[PartnerFigures]:
    """One aggregate query over the referrals that count (not withdrawn), every partner listed.

    A referral "led to an implemented measure" when its case has an implemented measure on the referral's
    topic that was recorded on or after the referral.
    """
    implemented = exists().where(Measure.case_id == Referral.case_id, Measure.topic_id == Referral.topic_id,
                                 Measure.status == MeasureStatus.IMPLEMENTED, Measure.created_at >= Referral.created_at)
    counted = (select(Referral.partner_id, func.count().label("referrals"),
                      func.count(Referral.answered_at).label("answered"),
                      func.sum(case((implemented, 1), else_=0)).label("implemented"))
               .where(Referral.withdrawn_at.is_(None)).group_by(Referral.partner_id).subquery())
    rows = db.session.execute(
        select(Partner, counted.c.referrals, counted.c.answered, counted.c.implemented)
        .outerjoin(counted, counted.c.partner_id == Partner.id)
        .order_by(Partner.active.desc(), Partner.name))
    return [PartnerFigures(partner, referrals or 0, answered or 0, implemented or 0)
            for partner, referrals, answered, implemented in rows]
