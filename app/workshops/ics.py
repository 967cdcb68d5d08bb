"""Calendar entries (.ics, RFC 5545/5546) for a workshop and for one business's registration.

A registration's entry keeps one UID, so a calendar updates the entry it has: METHOD:REQUEST with a
higher SEQUENCE moves it, METHOD:CANCEL removes it. Times are Europe/Berlin with its VTIMEZONE.
"""

from datetime import timedelta
from email.utils import parseaddr

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from app.timeutil import BERLIN, utcnow
from app.workshops.models import Registration, Workshop, WorkshopStatus

REQUEST = "REQUEST"
CANCEL = "CANCEL"
PUBLISH = "PUBLISH"


def _sender() -> str:
    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1] or "procheck@example.org"


def _domain() -> str:
    return _sender().rsplit("@", 1)[-1]


def registration_uid(registration_id: int) -> str:
    return f"workshop-registration-{registration_id}@{_domain()}"


def _event(workshop: Workshop, uid: str, sequence: int, cancelled: bool) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", utcnow())
    starts = workshop.starts_at.astimezone(BERLIN)
    event.add("dtstart", starts)
    event.add("dtend", starts + timedelta(minutes=workshop.duration_minutes))
    event.add("summary", vText(workshop.title))
    event.add("location", vText(workshop.place or workshop.online_url))
    if workshop.online_url:
        event.add("url", workshop.online_url)
    if workshop.description:
        event.add("description", vText(workshop.description))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{_sender()}")
    organizer.params["cn"] = vText(current_app.config["CHAMBER_NAME"])
    event.add("organizer", organizer)
    return event


def _calendar(method: str, event: Event) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//ProCheck//Workshops//DE")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(event)
    calendar.add_missing_timezones()  # the VTIMEZONE of Europe/Berlin
    return calendar.to_ical()


def for_registration(registration: Registration, email: str, method: str, sequence: int) -> bytes:
    """The business's own entry: an invitation (REQUEST) or its cancellation (CANCEL)."""
    workshop = registration.workshop
    event = _event(workshop, registration_uid(registration.id), sequence, cancelled=method == CANCEL)
    attendee = vCalAddress(f"mailto:{email}")
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    event.add("attendee", attendee)
    return _calendar(method, event)


def for_workshop(workshop: Workshop) -> bytes:
    """The workshop page's entry for anyone (PUBLISH: no attendee, nothing to answer)."""
    cancelled = workshop.status == WorkshopStatus.CANCELLED
    return _calendar(PUBLISH, _event(workshop, f"workshop-{workshop.id}@{_domain()}", workshop.sequence, cancelled))
