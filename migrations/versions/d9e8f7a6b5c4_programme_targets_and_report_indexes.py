"""programme_targets (per programme year and metric) and the period indexes of the funder's report

Revision ID: d9e8f7a6b5c4
Revises: c3d4e5f6a7b8
Create Date: 2026-12-02 02:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd9e8f7a6b5c4'
down_revision = 'c3d4e5f6a7b8'
branch_labels = None
depends_on = None

METRICS = ("businesses_reached", "checks", "workshop_participants", "referrals", "implemented_measures", "rechecks")


def upgrade():
    op.create_table('programme_targets',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('target', sa.Integer(), nullable=False),
    sa.CheckConstraint('year BETWEEN 1 AND 3', name=op.f('ck_programme_targets_year_in_programme')),
    sa.CheckConstraint('target >= 0', name=op.f('ck_programme_targets_target_not_negative')),
    sa.CheckConstraint("metric IN ('" + "', '".join(METRICS) + "')", name=op.f('ck_programme_targets_metric_known')),
    sa.PrimaryKeyConstraint('year', 'metric', name=op.f('pk_programme_targets'))
    )
    op.create_index('ix_checks_status_completed', 'checks', ['status', 'completed_at', 'kind', 'case_id'])
    op.create_index('ix_referrals_created', 'referrals', ['created_at', 'partner_id', 'case_id'])
    op.create_index('ix_measures_status_implemented', 'measures', ['status', 'implemented_on', 'topic_id', 'case_id'])
    op.create_index('ix_cases_opened', 'cases', ['opened_at', 'business_id'])


def downgrade():
    op.drop_index('ix_cases_opened', table_name='cases')
    op.drop_index('ix_measures_status_implemented', table_name='measures')
    op.drop_index('ix_referrals_created', table_name='referrals')
    op.drop_index('ix_checks_status_completed', table_name='checks')
    op.drop_table('programme_targets')
