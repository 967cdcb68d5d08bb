"""consent records (what, when, how, which text, withdrawn when) and the data-protection audit log

Every business that has email consent today gets a record from consent_at/consent_source (source "backfill",
text version unknown); one that had none gets none.

Revision ID: f5e6d7c8b9a0
Revises: f2e3d4c5b6a7
Create Date: 2026-12-07 06:30:00
"""
import sqlalchemy as sa
from alembic import op

from app.timeutil import UTCDateTime

# revision identifiers, used by Alembic.
revision = 'f5e6d7c8b9a0'
down_revision = 'f2e3d4c5b6a7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('business_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('granted_at', UTCDateTime(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('text_version', sa.String(length=40), nullable=False),
    sa.Column('withdrawn_at', UTCDateTime(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("purpose IN ('email', 'referral')", name=op.f('ck_consents_purpose')),
    sa.CheckConstraint("source IN ('form', 'public_request', 'link', 'backfill')", name=op.f('ck_consents_source')),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_consents_business_id_businesses')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_consents_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_consents_withdrawn_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    op.create_index('ix_consents_business_purpose', 'consents', ['business_id', 'purpose', 'granted_at'],
                    unique=False)
    op.create_table('privacy_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('business_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.CheckConstraint("action IN ('exported', 'erased', 'retention_run', 'record_viewed')",
                       name=op.f('ck_privacy_log_action')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_privacy_log_actor_id_users')),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_privacy_log_business_id_businesses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_log'))
    )
    op.create_index('ix_privacy_log_business_action', 'privacy_log', ['business_id', 'action'], unique=False)
    op.create_index('ix_privacy_log_created', 'privacy_log', ['created_at', 'id'], unique=False)
    op.create_index('uq_privacy_log_erased', 'privacy_log', ['business_id'], unique=True,
                    sqlite_where=sa.text("action = 'erased'"), postgresql_where=sa.text("action = 'erased'"))
    # One statement, any number of businesses: the consents on record so far become records.
    op.execute(
        "INSERT INTO consents (business_id, purpose, granted_at, source, note, text_version) "
        "SELECT id, 'email', consent_at, 'backfill', substr(consent_source, 1, 200), '' FROM businesses "
        "WHERE email_consent AND consent_at IS NOT NULL"
    )


def downgrade():
    op.drop_index('uq_privacy_log_erased', table_name='privacy_log')
    op.drop_index('ix_privacy_log_created', table_name='privacy_log')
    op.drop_index('ix_privacy_log_business_action', table_name='privacy_log')
    op.drop_table('privacy_log')
    op.drop_index('ix_consents_business_purpose', table_name='consents')
    op.drop_table('consents')
