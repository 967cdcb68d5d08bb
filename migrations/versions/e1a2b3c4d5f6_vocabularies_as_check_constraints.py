"""Vocabularies as CHECK constraints: roles, case states, event kinds, measure statuses, rule actions,
reminder states, outbox statuses and audiences

Revision ID: e1a2b3c4d5f6
Revises: d68e79c4adf8
Create Date: 2026-12-01 22:40:00
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e1a2b3c4d5f6'
down_revision = 'd68e79c4adf8'
branch_labels = None
depends_on = None

# The values as they are today; later migrations that add a value replace the constraint.
STATES = ("contacted", "check_done", "workshop_attended", "referred", "implemented", "withdrawn")
CONSTRAINTS = {
    "users": {"role": ("scout", "lead", "admin")},
    "cases": {"state": STATES},
    "case_events": {"kind": (
        "opened", "moved", "note", "business_edited", "reassigned", "measure_recorded", "check_completed",
        "self_check_sent", "self_check_submitted", "workshop_attended", "referral", "reminder_created",
        "reminder_done", "reminder_snoozed", "follow_ups_cancelled", "email_cancelled", "email_failed",
        "email_retried", "business_answered", "unsubscribed")},
    "measures": {"status": ("suggested", "planned", "in_progress", "implemented", "dropped")},
    "follow_up_rules": {"state": STATES, "action": ("reminder", "email_business", "email_partner")},
    "reminders": {"state": ("open", "done", "cancelled")},
    "outbox": {"status": ("pending", "sending", "sent", "failed", "cancelled"),
               "audience": ("business", "partner", "staff")},
}


def upgrade():
    for table, columns in CONSTRAINTS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values in columns.items():
                listed = ", ".join(f"'{value}'" for value in values)
                batch_op.create_check_constraint(column, f"{column} IN ({listed})")


def downgrade():
    for table, columns in CONSTRAINTS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(column, type_="check")  # the naming convention adds ck_<table>_
