"""handover_jobs: a hand-over of more cases than a request should move, queued and worked in batches by the
scheduler's worker with its progress, resume point and lease; one unfinished job per owner

Revision ID: d3e4f5a6b7c8
Revises: c2d3e4f5a6b7
Create Date: 2026-12-08 09:00:00
"""
import sqlalchemy as sa
from alembic import op

from app.timeutil import UTCDateTime

# revision identifiers, used by Alembic.
revision = 'd3e4f5a6b7c8'
down_revision = 'c2d3e4f5a6b7'
branch_labels = None
depends_on = None

UNFINISHED = "status IN ('queued', 'running')"


def upgrade():
    op.create_table(
        'handover_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('from_owner_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=24), nullable=True),
        sa.Column('municipality_id', sa.Integer(), nullable=True),
        sa.Column('to_owner_id', sa.Integer(), nullable=False),
        sa.Column('disables_owner', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('moved', sa.Integer(), nullable=False),
        sa.Column('after_id', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('lease_token', sa.String(length=32), nullable=True),
        sa.Column('lease_until', UTCDateTime(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('started_at', UTCDateTime(), nullable=True),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_handover_jobs_status')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_handover_jobs_created_by_id_users')),
        sa.ForeignKeyConstraint(['from_owner_id'], ['users.id'], name=op.f('fk_handover_jobs_from_owner_id_users')),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                                name=op.f('fk_handover_jobs_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['to_owner_id'], ['users.id'], name=op.f('fk_handover_jobs_to_owner_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_handover_jobs')),
    )
    op.create_index('uq_handover_jobs_unfinished_owner', 'handover_jobs', ['from_owner_id'], unique=True,
                    sqlite_where=sa.text(UNFINISHED), postgresql_where=sa.text(UNFINISHED))


def downgrade():
    op.drop_index('uq_handover_jobs_unfinished_owner', table_name='handover_jobs')
    op.drop_table('handover_jobs')
