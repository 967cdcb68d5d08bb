"""a case's reminders by an index that also gives their order (case_id, state, due_at, id)

Without it SQLite read a case's open reminders through ix_reminders_state_due (every open reminder, 2 s at 1M
cases) because that index spared it the sort.

Revision ID: e4f5a6b7c8d9
Revises: d9e8f7a6b5c4
Create Date: 2026-12-02 02:30:00
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e4f5a6b7c8d9'
down_revision = 'd9e8f7a6b5c4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_reminders_case_state_due', 'reminders', ['case_id', 'state', 'due_at', 'id'], unique=False)
    op.drop_index('ix_reminders_case_state', table_name='reminders')


def downgrade():
    op.create_index('ix_reminders_case_state', 'reminders', ['case_id', 'state'], unique=False)
    op.drop_index('ix_reminders_case_state_due', table_name='reminders')
