"""every timeline kind of this release in one CHECK constraint (each feature's migration listed only its own), and
the funder report's businesses and day counts filled from what is there

Revision ID: 0f1e2d3c4b5a
Revises: f7e8d9c0b1a2
Create Date: 2026-12-07 08:00:00
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0f1e2d3c4b5a'
down_revision = 'f7e8d9c0b1a2'
branch_labels = None
depends_on = None

EVENT_KINDS = (
    "opened", "moved", "note", "business_edited", "reassigned", "measure_recorded", "check_completed",
    "self_check_sent", "self_check_submitted", "workshop_attended", "workshop_invited", "workshop_registration",
    "attendance_withdrawn", "referral", "referral_answered", "referral_withdrawn", "reminder_created",
    "reminder_done", "reminder_snoozed", "follow_ups_cancelled", "email_cancelled", "email_failed", "email_retried",
    "business_answered", "unsubscribed", "check_requested")


def upgrade():
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_constraint('kind', type_='check')
        batch_op.create_check_constraint('kind', "kind IN (" + ", ".join(f"'{k}'" for k in EVENT_KINDS) + ")")
    # The same code as `flask procheck rebuild-funder-figures`, now that every column it reads exists.
    from app.reports.support import rebuild

    rebuild(op.get_bind())


def downgrade():
    # The wider constraint stays: each feature's own downgrade narrows it again as it removes its kinds.
    op.execute("DELETE FROM business_support")
    op.execute("DELETE FROM supported_cells")
    op.execute("DELETE FROM day_counts")
