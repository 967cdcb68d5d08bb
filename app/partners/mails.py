"""What the referral emails show (to the business, to the partner, "how is it going?"), and which
partners a case's "email the partner" rule writes to (only with the business's consent)."""

from flask import Flask

from app.auth.models import User
from app.cases.models import Case
from app.extensions import db
from app.partners import answers
from app.partners.models import Referral
from app.partners.services import referrals_for_case
from app.scheduling import links
from app.scheduling.mails import Recipient, case_of, common, registry_of
from app.scheduling.models import OutboxMessage
from app.scheduling.responses import ANSWERS

# The words of the answer buttons in the mail (the mail templates are written in German).
ANSWER_WORDS = {"implemented": "umgesetzt", "in_progress": "in Arbeit", "need_help": "brauche Unterstützung"}
assert set(ANSWER_WORDS) == set(ANSWERS), "every answer needs its word in the mail"
# The partner's reports, as its referral mail words them.
REPORT_WORDS = {"contacted": "Kontakt aufgenommen", "project_started": "Projekt gestartet",
                "no_need": "kein Bedarf / passt nicht"}
assert set(REPORT_WORDS) == set(answers.ANSWERS), "every partner report needs its word in the mail"


def referral_info(row: OutboxMessage) -> dict:
    case = case_of(row)
    return {**common(case), "referrals": [r for r in referrals_for_case(case.id, withdrawn=False) if r.consent]}


def referral_partner(row: OutboxMessage) -> dict:
    """For the partner: who the business is, what it needs, the scout who referred it, and the link to report back
    (signed when the mail is sent, valid for 90 days; each answer pre-selected by one link)."""
    case = case_of(row)
    referral = db.session.get(Referral, row.context.get("referral_id"))
    scout = db.session.get(User, referral.created_by_id) if referral and referral.created_by_id else case.owner
    report_url = answers.make_url(referral) if referral else None
    report_links = [(word, f"{report_url}?a={key}") for key, word in REPORT_WORDS.items()] if referral else []
    return {**common(case), "referral": referral, "scout": scout, "reply_to": scout.email,
            "report_url": report_url, "report_links": report_links}


def how_is_it_going(row: OutboxMessage) -> dict:
    """Three one-click answers; they share one nonce, so the mail can be answered once."""
    case = case_of(row)
    nonce = links.new_nonce("answer", case_id=case.id, business_id=case.business_id)
    answer_links = [(key, label, links.make_url("answer", nonce=nonce, a=key)) for key, label in ANSWER_WORDS.items()]
    return {**common(case), "answer_links": answer_links, "referrals": referrals_for_case(case.id, withdrawn=False)}


def partner_recipients(case: Case) -> list[Recipient]:
    """The partners of the case's referrals that the business agreed to pass its data to."""
    return [Recipient(r.partner.email, {"case_id": case.id, "referral_id": r.id}, f"referral:{r.id}")
            for r in referrals_for_case(case.id, withdrawn=False) if r.consent and r.partner.email]


def init_app(app: Flask) -> None:
    registry = registry_of(app)
    registry.builders.update({"referral_info": referral_info, "referral_partner": referral_partner,
                              "how_is_it_going": how_is_it_going})
    registry.recipients["partner"] = partner_recipients
