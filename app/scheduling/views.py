"""Staff pages for follow-ups: today's reminders, reminders on a case, the rules, the outbox."""

from flask import Blueprint

bp = Blueprint("scheduling", __name__)
