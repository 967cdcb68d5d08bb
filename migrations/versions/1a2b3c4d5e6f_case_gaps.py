"""case_gaps: each case's weakest check dimensions, for the workshop invitation list (an index by dimension
instead of reading every case's scores), filled from the summaries

Revision ID: 1a2b3c4d5e6f
Revises: 0f1e2d3c4b5a
Create Date: 2026-12-07 08:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '1a2b3c4d5e6f'
down_revision = '0f1e2d3c4b5a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_gaps',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=60), nullable=False),
    sa.Column('questionnaire_version', sa.String(length=20), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_gaps_case_id_cases')),
    sa.PrimaryKeyConstraint('case_id', 'dimension', name=op.f('pk_case_gaps'))
    )
    op.create_index('ix_case_gaps_dimension', 'case_gaps', ['dimension', 'questionnaire_version', 'score', 'case_id'],
                    unique=False)
    from app.checks.gaps import rebuild

    rebuild(op.get_bind())


def downgrade():
    op.drop_index('ix_case_gaps_dimension', table_name='case_gaps')
    op.drop_table('case_gaps')
