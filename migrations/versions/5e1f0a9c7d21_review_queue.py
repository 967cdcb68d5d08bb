"""review_queue: each case's latest activity and its wait on the business, the stuck thresholds, the team's
overdue reminders in order

Revision ID: 5e1f0a9c7d21
Revises: b3d4e5f6a7b8
Create Date: 2026-12-10 09:00:00
"""
import sqlalchemy as sa
from alembic import op

from app.timeutil import UTCDateTime

# revision identifiers, used by Alembic.
revision = '5e1f0a9c7d21'
down_revision = 'b3d4e5f6a7b8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_activity_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('awaiting_business_since', UTCDateTime(), nullable=True))
    # Both from the timeline, before the indexes are built: the same code as the bulk seed uses.
    from app.cases.activity import backfill

    backfill(op.get_bind())
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_state_activity', ['state', 'last_activity_at', 'id'], unique=False)
        batch_op.create_index('ix_cases_awaiting_business', ['awaiting_business_since', 'state', 'id'], unique=False)
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index('ix_reminders_state_due', ['state', 'due_at', 'id'], unique=False)
    op.create_table('stuck_thresholds',
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('contacted', 'check_done', 'workshop_attended', 'referred', 'implemented', "
                       "'withdrawn')", name=op.f('ck_stuck_thresholds_state')),
    sa.PrimaryKeyConstraint('state', name=op.f('pk_stuck_thresholds'))
    )


def downgrade():
    op.drop_table('stuck_thresholds')
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_reminders_state_due')
    # Plain ALTER TABLE … DROP COLUMN (SQLite >= 3.35): a batch copy of cases would lose its expression indexes.
    op.drop_index('ix_cases_awaiting_business', table_name='cases')
    op.drop_index('ix_cases_state_activity', table_name='cases')
    op.drop_column('cases', 'awaiting_business_since')
    op.drop_column('cases', 'last_activity_at')
