"""The email templates: each has a type and the legal basis it needs (text in templates/mail/).

A mail sent on the basis of consent carries the unsubscribe link (app.scheduling.mails)."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

TYPE_LABELS = {
    "service": _l("Service information"),
    "survey": _l("Follow-up survey"),
    "invitation": _l("Invitation"),
    "internal": _l("Internal"),
}
# What must be on record before a mail of this basis may be queued and again before it is sent.
BASIS_LABELS = {
    "consent": _l("The business's consent to emails (Art. 6(1)(a) GDPR)"),
    "referral_consent": _l("The business's consent to passing its data to the partner"),
    "staff": _l("Internal mail to staff"),
    "request": _l("The request the person made on the public page, which the mail asks to confirm (double opt-in; "
                  "Art. 6(1)(b) GDPR)"),
}


@dataclass(frozen=True)
class MailTemplate:
    key: str
    type: str
    basis: str
    audience: str  # business | partner | staff
    label: object
    by_rule: bool = True  # a follow-up rule may send it (the public request's mails need the request itself)

    @property
    def about_case(self) -> bool:
        """False for the mail that asks to confirm a public request: it goes out before there is a case."""
        return self.basis != "request"


TEMPLATES: dict[str, MailTemplate] = {t.key: t for t in (
    MailTemplate("check_results", "service", "consent", "business", _l("Check results with recommendations")),
    MailTemplate("workshop_suggestions", "invitation", "consent", "business",
                 _l("Workshops for the weakest dimensions")),
    MailTemplate("workshop_thanks", "service", "consent", "business", _l("Thanks, materials and next steps")),
    MailTemplate("referral_info", "service", "consent", "business", _l("Whom you were referred to")),
    MailTemplate("referral_partner", "service", "referral_consent", "partner", _l("Referral to the partner")),
    MailTemplate("how_is_it_going", "survey", "consent", "business", _l("“How is it going?” with one-click answers")),
    MailTemplate("self_check", "service", "consent", "business", _l("Link to fill in the check online")),
    MailTemplate("recheck_invitation", "invitation", "consent", "business", _l("Invitation to a re-check")),
    MailTemplate("workshop_invitation", "invitation", "consent", "business",
                 _l("Invitation to a workshop with one-click registration")),
    MailTemplate("workshop_confirmation", "service", "consent", "business",
                 _l("Workshop registration confirmed, with the calendar entry")),
    MailTemplate("workshop_waitlisted", "service", "consent", "business", _l("On the workshop's waiting list")),
    MailTemplate("workshop_cancelled", "service", "consent", "business",
                 _l("Workshop registration cancelled, with the calendar cancellation")),
    MailTemplate("workshop_reminder", "service", "consent", "business",
                 _l("Workshop reminder two working days before")),
    MailTemplate("intake_opt_in", "service", "request", "business",
                 _l("Online request: please confirm (double opt-in)"), by_rule=False),
    MailTemplate("intake_confirmed", "service", "consent", "business",
                 _l("Online request confirmed, the scout will get in touch"), by_rule=False),
    MailTemplate("digest", "internal", "staff", "staff", _l("Morning digest for a scout")),
)}
