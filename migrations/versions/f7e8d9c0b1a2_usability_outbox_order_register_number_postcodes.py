"""ix_outbox_attention: the outbox page's default order, failed mails first, then waiting ones, the most overdue
first (issue 13; the register number's index and the shared postcodes came with the import and the admin pages)

Revision ID: f7e8d9c0b1a2
Revises: f4e5d6c7b8a9
Create Date: 2026-12-07 06:40:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f7e8d9c0b1a2'
down_revision = 'f4e5d6c7b8a9'
branch_labels = None
depends_on = None

ATTENTION = "(CASE WHEN status = 'failed' THEN 0 WHEN status IN ('pending', 'sending') THEN 1 ELSE 2 END)"  # models.py


def upgrade():
    op.create_index('ix_outbox_attention', 'outbox', [sa.text(ATTENTION), 'due_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_outbox_attention', table_name='outbox')
