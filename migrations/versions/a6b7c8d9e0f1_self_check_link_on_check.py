"""checks.link_nonce: the self-check link a business submitted the check through, so that reloading or
opening that link again shows the check's result (links used before this revision keep saying "submitted")

Revision ID: a6b7c8d9e0f1
Revises: d3e4f5a6b7c8
Create Date: 2026-12-08 09:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a6b7c8d9e0f1'
down_revision = 'd3e4f5a6b7c8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('checks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_nonce', sa.String(length=43), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_checks_link_nonce'), ['link_nonce'])
        batch_op.create_foreign_key(batch_op.f('fk_checks_link_nonce_link_nonces'), 'link_nonces',
                                    ['link_nonce'], ['nonce'])


def downgrade():
    with op.batch_alter_table('checks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_checks_link_nonce_link_nonces'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_checks_link_nonce'), type_='unique')
        batch_op.drop_column('link_nonce')
