"""Imports every domain's models so that Alembic and create_all see the whole schema."""

from app.auth.audit import AuditEntry
from app.auth.models import User
from app.cases.consents import Consent
from app.cases.models import Business, Case, CaseCount, CaseEvent, Measure
from app.checks.models import CaseCheckSummary, CaseGap, Check, CheckScore
from app.imports.models import ImportMapping, ImportRun, PreviewRow
from app.intake.models import CheckRequest, IntakeAssignment
from app.partners.models import Partner, Referral
from app.privacy.models import PrivacyLog
from app.reference.models import Municipality, Postcode, Topic, Trade
from app.reports.funnel_models import CaseMilestone, FunnelCell
from app.reports.handover_models import HandoverJob
from app.reports.models import StuckThreshold
from app.reports.support_models import BusinessSupport, DayCount, SupportedCell
from app.reports.target_models import ProgrammeTarget
from app.scheduling.models import FollowUpRule, LinkNonce, MailText, OutboxMessage, Reminder
from app.workshops.models import Attendance, Registration, Workshop, WorkshopInvitation

__all__ = [
    "Attendance", "Business", "Case", "CaseCheckSummary", "CaseCount", "CaseEvent", "Check", "CheckScore",
    "Measure", "Municipality", "Partner", "Postcode", "Referral", "Topic", "Trade", "User", "Workshop",
    "FollowUpRule", "LinkNonce", "OutboxMessage", "Reminder", "StuckThreshold", "CaseMilestone",
    "FunnelCell", "ProgrammeTarget", "BusinessSupport", "DayCount", "SupportedCell", "Consent", "PrivacyLog",
    "Registration", "WorkshopInvitation", "ImportMapping", "ImportRun", "AuditEntry", "MailText", "CheckRequest",
    "IntakeAssignment", "CaseGap", "PreviewRow", "HandoverJob",
]
