"""Spam protection without third-party services: a honeypot field, a minimum fill time, and limits per client
address and per recipient address.

The fill time is measured from a signed timestamp the form carries (so a bot cannot claim it took its time,
and nothing is kept on the server per form shown). The limits reuse the sign-in throttle's atomic counter
(app.auth.throttle) under keys of their own; they count only requests that would send a mail, so that a person
correcting a typo is not held up, and the per-recipient limit keeps the page from being used to flood one inbox.
"""

import hashlib
from datetime import datetime

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from app.auth import throttle
from app.timeutil import utcnow

# The honeypot's field name: a word a form-filling bot is keen on, hidden from people (and their assistive tech).
HONEYPOT = "website"
MAX_FORM_AGE_SECONDS = 24 * 3600  # a form older than a day is sent again with a new timestamp


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="procheck-intake-form-time")


def stamp(now: datetime | None = None) -> str:
    """The signed time the form was shown."""
    return _serializer().dumps({"t": int((now or utcnow()).timestamp())})


def fill_time_problem(value: str | None, now: datetime | None = None) -> str | None:
    """"too_fast", "stale" (or unreadable, which only a tampered form sends), or None when the time is plausible."""
    try:
        shown = _serializer().loads(value or "")["t"]
        elapsed = (now or utcnow()).timestamp() - int(shown)
    except (BadData, KeyError, TypeError, ValueError):
        return "stale"
    if elapsed < current_app.config["INTAKE_MIN_FILL_SECONDS"]:
        return "too_fast"
    if elapsed > MAX_FORM_AGE_SECONDS:
        return "stale"
    return None


def is_bot(honeypot_value: str | None) -> bool:
    return bool((honeypot_value or "").strip())


def within_limits(client_address: str, email: str) -> bool:
    """Count one request for the client address and, if that allows it, for the recipient; False when over."""
    config = current_app.config
    minutes = config["INTAKE_WINDOW_MINUTES"]
    if not throttle.reserve(f"intake:ip:{client_address}", config["INTAKE_MAX_PER_ADDRESS"], minutes).allowed:
        return False
    # The recipient counts by a digest: the throttle table is no place to keep people's addresses.
    recipient = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return throttle.reserve(f"intake:email:{recipient}", config["INTAKE_MAX_PER_EMAIL"], minutes).allowed
