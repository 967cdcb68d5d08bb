"""usability (issue 13): the outbox's default order, the duplicate check by register number, shared postcodes

- ix_outbox_attention: the outbox page's default order, failed mails first, then waiting ones, the most
  overdue first.
- ix_businesses_register_number: a new business whose Handwerksrolle number exists already is refused.
- postcodes: the primary key becomes (code, municipality_id), so that a postcode can span two municipalities.

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

ATTENTION = "(CASE WHEN status = 'failed' THEN 0 WHEN status IN ('pending', 'sending') THEN 1 ELSE 2 END)"  # models.py


def upgrade():
    op.create_index('ix_outbox_attention', 'outbox', [sa.text(ATTENTION), 'due_at', 'id'], unique=False)
    op.create_index('ix_businesses_register_number', 'businesses', ['register_number'], unique=False)
    with op.batch_alter_table('postcodes', schema=None) as batch_op:
        batch_op.drop_constraint('pk_postcodes', type_='primary')
        batch_op.create_primary_key('pk_postcodes', ['code', 'municipality_id'])


def downgrade():
    with op.batch_alter_table('postcodes', schema=None) as batch_op:
        batch_op.drop_constraint('pk_postcodes', type_='primary')
        batch_op.create_primary_key('pk_postcodes', ['code'])
    op.drop_index('ix_businesses_register_number', table_name='businesses')
    op.drop_index('ix_outbox_attention', table_name='outbox')
