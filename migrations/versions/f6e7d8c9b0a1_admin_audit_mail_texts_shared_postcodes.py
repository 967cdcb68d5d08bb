"""the administrators' audit trail, mail texts edited by the admin, and postcodes shared by two municipalities

Revision ID: f6e7d8c9b0a1
Revises: f3e4d5c6b7a8
Create Date: 2026-12-07 06:30:00
"""
import sqlalchemy as sa
from alembic import op

import app.timeutil

# revision identifiers, used by Alembic.
revision = 'f6e7d8c9b0a1'
down_revision = 'f3e4d5c6b7a8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', app.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('what', sa.String(length=60), nullable=False),
    sa.Column('target', sa.String(length=300), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_log_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index('ix_audit_log_at', 'audit_log', ['at', 'id'], unique=False)
    op.create_table('mail_texts',
    sa.Column('template_key', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('updated_at', app.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_mail_texts_updated_by_id_users')),
    sa.PrimaryKeyConstraint('template_key', name=op.f('pk_mail_texts'))
    )
    # A postcode may belong to two municipalities: the key becomes (code, municipality).
    with op.batch_alter_table('postcodes', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint('pk_postcodes', type_='primary')
        batch_op.create_primary_key('pk_postcodes', ['code', 'municipality_id'])


def downgrade():
    # Back to one municipality per postcode: a shared postcode keeps the row of its first municipality.
    op.execute("DELETE FROM postcodes WHERE EXISTS (SELECT 1 FROM postcodes AS first "
               "WHERE first.code = postcodes.code AND first.municipality_id < postcodes.municipality_id)")
    with op.batch_alter_table('postcodes', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint('pk_postcodes', type_='primary')
        batch_op.create_primary_key('pk_postcodes', ['code'])
    op.drop_table('mail_texts')
    op.drop_index('ix_audit_log_at', table_name='audit_log')
    op.drop_table('audit_log')
