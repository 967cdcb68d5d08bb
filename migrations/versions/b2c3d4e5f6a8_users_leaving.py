"""users.leaving: set while a queued offboarding hands the account's cases over, so that the account is offered
and given no new work until the job is done (disabled) or failed (cleared)

Revision ID: b2c3d4e5f6a8
Revises: a6b7c8d9e0f1
Create Date: 2026-12-09 09:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b2c3d4e5f6a8'
down_revision = 'a6b7c8d9e0f1'
branch_labels = None
depends_on = None


def upgrade():
    # Not batch mode: SQLite's batch rebuild drops `users`, which fails under foreign_keys=ON while other tables
    # point at it; both databases add (and drop) a plain column in place.
    op.add_column('users', sa.Column('leaving', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    op.drop_column('users', 'leaving')
