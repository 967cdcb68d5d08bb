"""public check requests (double opt-in), the scout per municipality for them, the "check_requested" timeline
entry, and businesses by e-mail and by postcode (a request attaches to a known business)

On SQLite the new event kind rebuilds case_events (batch mode copies the table to change its CHECK constraint).

Revision ID: f4e5d6c7b8a9
Revises: f6e7d8c9b0a1
Create Date: 2026-12-07 06:40:00
"""
from alembic import op
import sqlalchemy as sa

import app.timeutil

# revision identifiers, used by Alembic.
revision = 'f4e5d6c7b8a9'
down_revision = 'f6e7d8c9b0a1'
branch_labels = None
depends_on = None

KINDS = (
    "opened", "moved", "note", "business_edited", "reassigned", "measure_recorded", "check_completed",
    "self_check_sent", "self_check_submitted", "workshop_attended", "referral", "reminder_created",
    "reminder_done", "reminder_snoozed", "follow_ups_cancelled", "email_cancelled", "email_failed",
    "email_retried", "business_answered", "unsubscribed")
NEW_KIND = "check_requested"


def _kinds(kinds) -> str:
    return "kind IN ({})".format(", ".join(f"'{kind}'" for kind in kinds))


def upgrade():
    op.create_table('check_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=43), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('postcode', sa.String(length=5), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('employees', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('consent_text_version', sa.String(length=20), nullable=False),
    sa.Column('created_at', app.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', app.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('business_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_check_requests_business_id_businesses')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_check_requests_case_id_cases')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                            name=op.f('fk_check_requests_municipality_id_municipalities')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_check_requests_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_requests')),
    sa.UniqueConstraint('nonce', name=op.f('uq_check_requests_nonce'))
    )
    with op.batch_alter_table('check_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_requests_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_requests_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_check_requests_pending_expiry', ['confirmed_at', 'expires_at'], unique=False)

    op.create_table('intake_assignments',
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('scout_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'],
                            name=op.f('fk_intake_assignments_municipality_id_municipalities')),
    sa.ForeignKeyConstraint(['scout_id'], ['users.id'], name=op.f('fk_intake_assignments_scout_id_users')),
    sa.PrimaryKeyConstraint('municipality_id', name=op.f('pk_intake_assignments'))
    )
    with op.batch_alter_table('intake_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_assignments_scout_id'), ['scout_id'], unique=False)

    with op.batch_alter_table('businesses', schema=None) as batch_op:
        batch_op.create_index('ix_businesses_email', ['email'], unique=False)
        batch_op.create_index('ix_businesses_postcode', ['postcode'], unique=False)

    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_constraint('kind', type_='check')  # the naming convention adds ck_case_events_
        batch_op.create_check_constraint('kind', _kinds((*KINDS, NEW_KIND)))


def downgrade():
    op.execute(sa.text("DELETE FROM case_events WHERE kind = :kind").bindparams(kind=NEW_KIND))
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_constraint('kind', type_='check')
        batch_op.create_check_constraint('kind', _kinds(KINDS))

    with op.batch_alter_table('businesses', schema=None) as batch_op:
        batch_op.drop_index('ix_businesses_postcode')
        batch_op.drop_index('ix_businesses_email')

    with op.batch_alter_table('intake_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_assignments_scout_id'))
    op.drop_table('intake_assignments')

    with op.batch_alter_table('check_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_check_requests_pending_expiry')
        batch_op.drop_index(batch_op.f('ix_check_requests_case_id'))
        batch_op.drop_index(batch_op.f('ix_check_requests_business_id'))
    op.drop_table('check_requests')
