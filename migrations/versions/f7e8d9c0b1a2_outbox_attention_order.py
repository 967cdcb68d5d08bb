"""the outbox page's default order: failed mails first, then waiting ones, the most overdue first

Revision ID: f7e8d9c0b1a2
Revises: e4f5a6b7c8d9
Create Date: 2026-12-07 06:40:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f7e8d9c0b1a2'
down_revision = 'e4f5a6b7c8d9'
branch_labels = None
depends_on = None

ATTENTION = "(CASE WHEN status = 'failed' THEN 0 WHEN status IN ('pending', 'sending') THEN 1 ELSE 2 END)"


def upgrade():
    op.create_index('ix_outbox_attention', 'outbox', [sa.text(ATTENTION), 'due_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_outbox_attention', table_name='outbox')
