"""change_days, supported_cells and business_support: the funder report's changes T0->T1 per day and its
supported businesses per month, quarter, year and programme year, filled from the checks and the milestones

Revision ID: a0b1c2d3e4f5
Revises: e4f5a6b7c8d9
Create Date: 2026-12-07 06:30:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a0b1c2d3e4f5'
down_revision = 'e4f5a6b7c8d9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('change_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('dimension', sa.String(length=60), nullable=False),
    sa.Column('cases', sa.Integer(), server_default='0', nullable=False),
    sa.Column('t0_sum', sa.Double(), server_default='0', nullable=False),
    sa.Column('t1_sum', sa.Double(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('day', 'dimension', name=op.f('pk_change_days'))
    )
    op.create_table('supported_cells',
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('size', sa.String(length=8), nullable=False),
    sa.Column('annex', sa.String(length=4), nullable=False),
    sa.Column('trade_group', sa.String(length=80), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('businesses', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('period_start', 'period_end', 'size', 'annex', 'trade_group', 'municipality_id',
                            name=op.f('pk_supported_cells'))
    )
    op.create_table('business_support',
    sa.Column('business_id', sa.Integer(), nullable=False),
    sa.Column('periods', sa.Text(), nullable=False),
    sa.Column('size', sa.String(length=8), nullable=False),
    sa.Column('annex', sa.String(length=4), nullable=False),
    sa.Column('trade_group', sa.String(length=80), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'],
                            name=op.f('fk_business_support_business_id_businesses')),
    sa.PrimaryKeyConstraint('business_id', name=op.f('pk_business_support'))
    )
    # What is there so far: the same code as `flask procheck rebuild-check-figures` and `rebuild-supported`.
    from app.checks.change_days import rebuild as rebuild_changes
    from app.reports.support import rebuild as rebuild_supported

    rebuild_changes(op.get_bind())
    rebuild_supported(op.get_bind())


def downgrade():
    op.drop_table('business_support')
    op.drop_table('supported_cells')
    op.drop_table('change_days')
