"""checks.link_nonce: the self-check link a business submitted the check through, so that reloading or
opening that link again shows the check's result (links used before this revision keep saying "submitted")

Revision ID: a6b7c8d9e0f1
Revises: d3e4f5a6b7c8
Create Date: 2026-12-08 09:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a6b7c8d9e0f1'
down_revision = 'd3e4f5a6b7c8'
branch_labels = None
depends_on = None


def upgrade():
    # Not batch mode: SQLite's batch rebuild drops `checks`, which fails under foreign_keys=ON while check_scores
    # and case_summaries point at it. SQLite adds the column with its REFERENCES clause in place (Alembic would
    # ask for batch mode for the foreign key).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE checks ADD COLUMN link_nonce VARCHAR(43) "
                   "CONSTRAINT fk_checks_link_nonce_link_nonces REFERENCES link_nonces (nonce)")
    else:
        op.add_column('checks', sa.Column('link_nonce', sa.String(length=43), nullable=True))
        op.create_foreign_key(op.f('fk_checks_link_nonce_link_nonces'), 'checks', 'link_nonces',
                              ['link_nonce'], ['nonce'])
    op.create_index('uq_checks_link_nonce', 'checks', ['link_nonce'], unique=True)


def downgrade():
    op.drop_index('uq_checks_link_nonce', table_name='checks')
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a column with a REFERENCES clause only by rebuilding the table.
        with op.batch_alter_table('checks', schema=None) as batch_op:
            batch_op.drop_column('link_nonce')
    else:
        op.drop_constraint(op.f('fk_checks_link_nonce_link_nonces'), 'checks', type_='foreignkey')
        op.drop_column('checks', 'link_nonce')
