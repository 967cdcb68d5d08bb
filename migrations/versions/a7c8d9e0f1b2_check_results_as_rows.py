"""check results as rows: check_scores and case_check_summary (T0/T1 per case), filled from the completed checks

Revision ID: a7c8d9e0f1b2
Revises: a7c1d2e3f4b5
Create Date: 2026-12-03 10:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c8d9e0f1b2'
down_revision = 'a7c1d2e3f4b5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('check_scores',
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=60), nullable=False),
    sa.Column('score', sa.Double(), nullable=True),
    sa.ForeignKeyConstraint(['check_id'], ['checks.id'], name=op.f('fk_check_scores_check_id_checks')),
    sa.PrimaryKeyConstraint('check_id', 'dimension', name=op.f('pk_check_scores'))
    )
    op.create_table('case_check_summary',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_version', sa.String(length=20), nullable=False),
    sa.Column('t0_check_id', sa.Integer(), nullable=False),
    sa.Column('t0_overall', sa.Double(), nullable=True),
    sa.Column('t1_check_id', sa.Integer(), nullable=True),
    sa.Column('t1_overall', sa.Double(), nullable=True),
    sa.Column('rechecks', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_check_summary_case_id_cases')),
    sa.ForeignKeyConstraint(['t0_check_id'], ['checks.id'], name=op.f('fk_case_check_summary_t0_check_id_checks')),
    sa.ForeignKeyConstraint(['t1_check_id'], ['checks.id'], name=op.f('fk_case_check_summary_t1_check_id_checks')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_check_summary'))
    )
    # The checks completed so far: the same code as `flask procheck rebuild-check-figures` (the DMA scores need
    # the questionnaires' mapping, which lives in the data files, not in the database).
    from app.checks.summary import rebuild

    rebuild(op.get_bind())


def downgrade():
    op.drop_table('case_check_summary')
    op.drop_table('check_scores')
