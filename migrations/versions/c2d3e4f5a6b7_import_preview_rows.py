"""import_preview_rows: a dry run's preview as rows of its own (deleted when the run starts or is discarded, found
by the data-protection export and erasure) instead of a JSON list on the run kept forever

Revision ID: c2d3e4f5a6b7
Revises: b1c2d3e4f5a7
Create Date: 2026-12-08 08:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c2d3e4f5a6b7'
down_revision = 'b1c2d3e4f5a7'
branch_labels = None
depends_on = None

PREVIEW_COLUMNS = ('line', 'action', 'reason', 'name', 'register_number', 'postcode')


def upgrade():
    # Only a run still to be started needs its preview; a started run's is dropped (storage limitation).
    runs = sa.table('import_runs', sa.column('id', sa.Integer()), sa.column('status', sa.String()),
                    sa.column('preview', sa.JSON()))
    rows = [{'run_id': run_id, **dict(zip(PREVIEW_COLUMNS, entry, strict=True))}
            for run_id, preview in op.get_bind().execute(sa.select(runs.c.id, runs.c.preview)
                                                         .where(runs.c.status == 'checked'))
            for entry in preview or []]
    # The column goes first: SQLite's batch mode rebuilds import_runs, whose drop would cascade to the new rows.
    with op.batch_alter_table('import_runs') as batch:
        batch.drop_column('preview')
    preview_rows = op.create_table(
        'import_preview_rows',
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('line', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=True),
        sa.Column('name', sa.Text(), nullable=True),
        sa.Column('register_number', sa.Text(), nullable=True),
        sa.Column('postcode', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['run_id'], ['import_runs.id'], name=op.f('fk_import_preview_rows_run_id_import_runs'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('run_id', 'line', name=op.f('pk_import_preview_rows')),
    )
    if rows:
        op.bulk_insert(preview_rows, rows)


def downgrade():
    op.drop_table('import_preview_rows')
    with op.batch_alter_table('import_runs') as batch:
        batch.add_column(sa.Column('preview', sa.JSON(), nullable=False, server_default='[]'))
