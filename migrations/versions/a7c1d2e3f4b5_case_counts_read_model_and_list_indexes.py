"""case counts read model and an index for every list order

The pipeline's read model (case_counts: cases per owner, municipality, trade group and state), filled
from the base tables; the caseload's order (next follow-up first, none last) per owner and for all, as
an expression index both databases read in order; the outbox page's order, newest due first.

Revision ID: a7c1d2e3f4b5
Revises: a7b8c9d0e1f2
Create Date: 2026-12-01 22:40:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c1d2e3f4b5'
down_revision = 'a7b8c9d0e1f2'
branch_labels = None
depends_on = None

STATES = ("contacted", "check_done", "workshop_attended", "referred", "implemented", "withdrawn")


def upgrade():
    listed = ", ".join(f"'{state}'" for state in STATES)
    op.create_table(
        'case_counts',
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('trade_group', sa.String(length=80), nullable=False),
        sa.Column('state', sa.String(length=24), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.CheckConstraint(f"state IN ({listed})", name=op.f('ck_case_counts_state')),
        sa.PrimaryKeyConstraint('owner_id', 'municipality_id', 'trade_group', 'state', name=op.f('pk_case_counts')),
    )
    op.execute(
        'INSERT INTO case_counts (owner_id, municipality_id, trade_group, state, n) '
        'SELECT cases.owner_id, businesses.municipality_id, trades."group", cases.state, count(*) '
        'FROM cases JOIN businesses ON businesses.id = cases.business_id JOIN trades ON trades.id = businesses.trade_id '
        'GROUP BY cases.owner_id, businesses.municipality_id, trades."group", cases.state'
    )
    op.drop_index('ix_cases_owner_next_due', table_name='cases')
    op.create_index('ix_cases_owner_due_order', 'cases',
                    ['owner_id', sa.text('(next_due_at IS NULL)'), 'next_due_at', 'id'], unique=False)
    op.create_index('ix_cases_due_order', 'cases', [sa.text('(next_due_at IS NULL)'), 'next_due_at', 'id'],
                    unique=False)
    op.drop_index('ix_outbox_status_due', table_name='outbox')
    op.create_index('ix_outbox_status_due_id', 'outbox', ['status', 'due_at', 'id'], unique=False)
    op.create_index('ix_outbox_due_id', 'outbox', ['due_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_outbox_due_id', table_name='outbox')
    op.drop_index('ix_outbox_status_due_id', table_name='outbox')
    op.create_index('ix_outbox_status_due', 'outbox', ['status', 'due_at'], unique=False)
    op.drop_index('ix_cases_due_order', table_name='cases')
    op.drop_index('ix_cases_owner_due_order', table_name='cases')
    op.create_index('ix_cases_owner_next_due', 'cases', ['owner_id', 'next_due_at'], unique=False)
    op.drop_table('case_counts')
