"""What the thank-you mail after a workshop shows: the workshops attended and partners on their topic."""

from flask import Flask

from app.partners.services import active_with_expertise
from app.scheduling.mails import case_of, common, registry_of
from app.scheduling.models import OutboxMessage
from app.workshops.services import attendances_for_case

PARTNERS_SHOWN = 3


def workshop_thanks(row: OutboxMessage) -> dict:
    case = case_of(row)
    attended = [a.workshop for a in attendances_for_case(case.id)]
    topic_ids = {w.topic_id for w in attended[:1]}
    return {**common(case), "workshops": attended, "partners": active_with_expertise(topic_ids, PARTNERS_SHOWN)}


def init_app(app: Flask) -> None:
    registry_of(app).builders["workshop_thanks"] = workshop_thanks
