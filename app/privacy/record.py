"""Art. 30: the record of processing activities, generated from what the app holds.

Purposes and legal bases come from the mail templates (app.scheduling.mail_templates), the categories of data
from the registered tables' columns, the recipients from the partners by kind (with how many referrals passed
data to them) and the staff by role, the retention from the configuration.
"""

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.auth.models import User
from app.cases.consents import Consent
from app.extensions import db
from app.partners.forms import KIND_LABELS
from app.partners.models import Partner, Referral
from app.privacy import registry, retention
from app.scheduling.mail_templates import BASIS_LABELS, TEMPLATES, TYPE_LABELS

CORE_PURPOSE = _l("Running the chamber's digitalisation programme for craft businesses: contacting businesses, "
                  "checks, workshops, referrals and follow-up (Art. 6(1)(e) GDPR, the chamber's public task, "
                  "and Art. 6(1)(a) GDPR where consent is named)")


@dataclass(frozen=True)
class Record:
    controller: str
    purposes: list  # (label, type, legal basis, audience)
    categories: list  # (label, [column names])
    partners: list  # (kind label, partners, active partners, referrals with consent)
    staff: list  # (role, active accounts)
    consents: list  # (purpose, granted, withdrawn)
    retention_months: int
    programme_end: object
    retention_starts: object


def build() -> Record:
    purposes = [(t.label, TYPE_LABELS[t.type], BASIS_LABELS[t.basis], t.audience) for t in TEMPLATES.values()]
    categories = [(entry.label, [column.name for column in entry.table.columns])
                  for entry in registry.current().tables]
    referrals = dict(db.session.execute(select(Partner.kind, func.count(Referral.id))
                                        .join(Referral, Referral.partner_id == Partner.id)
                                        .where(Referral.consent).group_by(Partner.kind)).all())
    partners = {kind: (total, active) for kind, total, active in db.session.execute(
        select(Partner.kind, func.count(), func.sum(func.cast(Partner.active, db.Integer)))
        .group_by(Partner.kind)).all()}
    partner_rows = [(label, *partners.get(kind, (0, 0)), referrals.get(kind, 0)) for kind, label in KIND_LABELS.items()]
    staff = db.session.execute(select(User.role, func.count()).where(User.active).group_by(User.role)
                               .order_by(User.role)).all()
    consents = db.session.execute(select(Consent.purpose, func.count(), func.count(Consent.withdrawn_at))
                                  .group_by(Consent.purpose).order_by(Consent.purpose)).all()
    config = current_app.config
    return Record(config["CHAMBER_NAME"], purposes, categories, partner_rows, staff, consents,
                  config["RETENTION_MONTHS"], retention.programme_end(), retention.starts_on())
