"""programme_cells: the programme report's sums per trade group, municipality and dimension, filled from the
case summaries

Revision ID: b1c2d3e4f5a6
Revises: a7c8d9e0f1b2
Create Date: 2026-12-02 01:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b1c2d3e4f5a6'
down_revision = 'a7c8d9e0f1b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('programme_cells',
    sa.Column('trade_group', sa.String(length=80), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=60), nullable=False),
    sa.Column('cases', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rechecks', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rechecked', sa.Integer(), server_default='0', nullable=False),
    sa.Column('t0_sum', sa.Double(), server_default='0', nullable=False),
    sa.Column('t0_n', sa.Integer(), server_default='0', nullable=False),
    sa.Column('change_sum', sa.Double(), server_default='0', nullable=False),
    sa.Column('change_n', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                            name=op.f('fk_programme_cells_municipality_id_municipalities')),
    sa.PrimaryKeyConstraint('trade_group', 'municipality_id', 'dimension', name=op.f('pk_programme_cells'))
    )
    # The sums of the checks completed so far: the same code as `flask procheck rebuild-check-figures`.
    from app.checks.figures import rebuild

    rebuild(op.get_bind())


def downgrade():
    op.drop_table('programme_cells')
