"""The cases package's vocabularies: states, timeline event kinds, note channels, measure statuses."""

from enum import StrEnum


class State(StrEnum):
    CONTACTED = "contacted"
    CHECK_DONE = "check_done"
    WORKSHOP_ATTENDED = "workshop_attended"
    REFERRED = "referred"
    IMPLEMENTED = "implemented"
    WITHDRAWN = "withdrawn"


class EventKind(StrEnum):
    """Every kind of timeline entry. The labels come from the package that writes each kind
    (registered in its init_app); the schema needs the whole list for its CHECK constraint."""

    OPENED = "opened"
    MOVED = "moved"
    NOTE = "note"
    BUSINESS_EDITED = "business_edited"
    REASSIGNED = "reassigned"
    MEASURE_RECORDED = "measure_recorded"
    CHECK_COMPLETED = "check_completed"
    SELF_CHECK_SENT = "self_check_sent"
    SELF_CHECK_SUBMITTED = "self_check_submitted"
    WORKSHOP_ATTENDED = "workshop_attended"
    WORKSHOP_INVITED = "workshop_invited"
    WORKSHOP_REGISTRATION = "workshop_registration"
    ATTENDANCE_WITHDRAWN = "attendance_withdrawn"
    REFERRAL = "referral"
    REFERRAL_ANSWERED = "referral_answered"
    REFERRAL_WITHDRAWN = "referral_withdrawn"
    REMINDER_CREATED = "reminder_created"
    REMINDER_DONE = "reminder_done"
    REMINDER_SNOOZED = "reminder_snoozed"
    FOLLOW_UPS_CANCELLED = "follow_ups_cancelled"
    EMAIL_CANCELLED = "email_cancelled"
    EMAIL_FAILED = "email_failed"
    EMAIL_RETRIED = "email_retried"
    BUSINESS_ANSWERED = "business_answered"
    UNSUBSCRIBED = "unsubscribed"
    CHECK_REQUESTED = "check_requested"


class Channel(StrEnum):
    CALL = "call"
    VISIT = "visit"
    EMAIL = "email"
    OTHER = "other"


class MeasureStatus(StrEnum):
    SUGGESTED = "suggested"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    IMPLEMENTED = "implemented"
    DROPPED = "dropped"
