"""Imports every domain's models so that Alembic and create_all see the whole schema."""

from app.auth.models import User
from app.cases.models import Business, Case, CaseCount, CaseEvent, Measure
from app.checks.models import CaseCheckSummary, Check, CheckScore
from app.partners.models import Partner, Referral
from app.reference.models import Municipality, Postcode, Topic, Trade
from app.reports.funnel_models import CaseMilestone, FunnelCell
from app.reports.models import StuckThreshold
from app.reports.support_models import BusinessSupport, SupportedCell
from app.reports.target_models import ProgrammeTarget
from app.scheduling.models import FollowUpRule, LinkNonce, OutboxMessage, Reminder
from app.workshops.models import Attendance, Workshop

__all__ = [
    "Attendance", "Business", "Case", "CaseCheckSummary", "CaseCount", "CaseEvent", "Check", "CheckScore",
    "Measure", "Municipality", "Partner", "Postcode", "Referral", "Topic", "Trade", "User", "Workshop",
    "FollowUpRule", "LinkNonce", "OutboxMessage", "Reminder", "StuckThreshold", "CaseMilestone",
    "FunnelCell", "ProgrammeTarget", "BusinessSupport", "SupportedCell",
]
