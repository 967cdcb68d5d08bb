"""the import of businesses from the chamber's register: remembered column mappings, import runs, and an index on
the register number (the import matches a row to a business by it)

Revision ID: f3e4d5c6b7a8
Revises: f1e2d3c4b5a6
Create Date: 2026-12-07 06:30:00
"""
import sqlalchemy as sa
from alembic import op

from app.timeutil import UTCDateTime

# revision identifiers, used by Alembic.
revision = 'f3e4d5c6b7a8'
down_revision = 'f1e2d3c4b5a6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'import_mappings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('header_key', sa.String(length=64), nullable=False),
        sa.Column('mapping', sa.JSON(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_mappings')),
        sa.UniqueConstraint('header_key', name=op.f('uq_import_mappings_header_key')),
    )
    op.create_table(
        'import_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('stored_name', sa.String(length=64), nullable=False),
        sa.Column('mapping', sa.JSON(), nullable=False),
        sa.Column('update_existing', sa.Boolean(), nullable=False),
        sa.Column('preview', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('processed', sa.Integer(), nullable=False),
        sa.Column('created', sa.Integer(), nullable=False),
        sa.Column('updated', sa.Integer(), nullable=False),
        sa.Column('unchanged', sa.Integer(), nullable=False),
        sa.Column('skipped', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('progressed_at', UTCDateTime(), nullable=True),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('checked', 'queued', 'running', 'done', 'failed')",
                           name=op.f('ck_import_runs_status')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_import_runs_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs')),
    )
    op.create_index('ix_businesses_register_number', 'businesses', ['register_number'], unique=False)


def downgrade():
    op.drop_index('ix_businesses_register_number', table_name='businesses')
    op.drop_table('import_runs')
    op.drop_table('import_mappings')
