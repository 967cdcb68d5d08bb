"""case_milestones and funnel_cells: the funnel's read model (first reaching of each milestone per case, and the
monthly cohort cells with day histograms per stage), filled from cases and case_events

Revision ID: c3d4e5f6a7b8
Revises: 5e1f0a9c7d21
Create Date: 2026-12-02 01:40:00
"""
import sqlalchemy as sa
from alembic import op

from app.timeutil import UTCDateTime

# revision identifiers, used by Alembic.
revision = 'c3d4e5f6a7b8'
down_revision = '5e1f0a9c7d21'
branch_labels = None
depends_on = None

BUCKETS = 54  # app.reports.funnel_models.BUCKETS, written out: a migration must not change with the code


def upgrade():
    op.create_table('case_milestones',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', UTCDateTime(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('trade_group', sa.String(length=80), nullable=False),
    sa.Column('size_class', sa.String(length=8), nullable=False),
    sa.Column('check_done_at', UTCDateTime(), nullable=True),
    sa.Column('workshop_attended_at', UTCDateTime(), nullable=True),
    sa.Column('referred_at', UTCDateTime(), nullable=True),
    sa.Column('implemented_at', UTCDateTime(), nullable=True),
    sa.Column('withdrawn_at', UTCDateTime(), nullable=True),
    sa.Column('withdrawn_from', sa.String(length=24), nullable=True),
    sa.Column('withdrawn_reason', sa.String(length=200), nullable=True),
    sa.Column('reopened', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_milestones_case_id_cases')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_milestones'))
    )
    op.create_table('funnel_cells',
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('dim', sa.String(length=8), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('metric', sa.String(length=48), nullable=False),
    sa.Column('n', sa.Integer(), server_default='0', nullable=False),
    *(sa.Column(f'b{i}', sa.Integer(), server_default='0', nullable=False) for i in range(BUCKETS)),
    sa.PrimaryKeyConstraint('month', 'dim', 'key', 'metric', name=op.f('pk_funnel_cells'))
    )
    # The cases so far: the same code as `flask procheck rebuild-funnel`.
    from app.reports.milestones import rebuild

    rebuild(op.get_bind())


def downgrade():
    op.drop_table('funnel_cells')
    op.drop_table('case_milestones')
