"""workshops as events: topics, capacity, deadline, status; invitations, registrations; attendance withdrawal

Every existing attendance becomes a registration with the status "attended" (it held a place), and each
workshop's topic becomes the first of its topics. A workshop with attendance is "held".

Revision ID: f1e2d3c4b5a6
Revises: f5e6d7c8b9a0
Create Date: 2026-12-07 06:30:00
"""
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

from app.timeutil import UTCDateTime

# revision identifiers, used by Alembic.
revision = 'f1e2d3c4b5a6'
down_revision = 'f5e6d7c8b9a0'
branch_labels = None
depends_on = None

KINDS = (
    "opened", "moved", "note", "business_edited", "reassigned", "measure_recorded", "check_completed",
    "self_check_sent", "self_check_submitted", "workshop_attended", "referral", "reminder_created",
    "reminder_done", "reminder_snoozed", "follow_ups_cancelled", "email_cancelled", "email_failed",
    "email_retried", "business_answered", "unsubscribed")
NEW_KINDS = ("workshop_invited", "workshop_registration", "attendance_withdrawn")
WORKSHOP_STATUSES = ("planned", "open", "full", "held", "cancelled")
REGISTRATION_STATUSES = ("registered", "waitlisted", "cancelled", "attended", "no_show")


def _listed(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _event_kinds(values) -> None:
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_constraint('kind', type_='check')
        batch_op.create_check_constraint('kind', f"kind IN ({_listed(values)})")


@contextmanager
def _attendances_set_aside():
    """SQLite adds a constraint by rebuilding the table (batch mode), and DROP TABLE workshops fails under
    foreign_keys=ON while attendances point at it (PRAGMA foreign_keys cannot change inside the migration's
    transaction). So the attendances wait in a temporary table while workshops is rebuilt."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMPORARY TABLE attendances_aside AS SELECT * FROM attendances")
        op.execute("DELETE FROM attendances")
    yield
    if sqlite:
        op.execute("INSERT INTO attendances SELECT * FROM attendances_aside")
        op.execute("DROP TABLE attendances_aside")


def upgrade():
    with _attendances_set_aside(), op.batch_alter_table('workshops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duration_minutes', sa.Integer(), server_default='120', nullable=False))
        batch_op.add_column(sa.Column('online_url', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('capacity', sa.Integer(), server_default='20', nullable=False))
        batch_op.add_column(sa.Column('registration_deadline', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=12), server_default='open', nullable=False))
        batch_op.add_column(sa.Column('places_taken', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('sequence', sa.Integer(), server_default='0', nullable=False))
        batch_op.alter_column('place', existing_type=sa.String(length=200), server_default='')
        batch_op.create_check_constraint('status', f"status IN ({_listed(WORKSHOP_STATUSES)})")

    op.create_table(
        'workshop_topics',
        sa.Column('workshop_id', sa.Integer(), nullable=False),
        sa.Column('topic_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_workshop_topics_topic_id_topics')),
        sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'],
                                name=op.f('fk_workshop_topics_workshop_id_workshops')),
        sa.PrimaryKeyConstraint('workshop_id', 'topic_id', name=op.f('pk_workshop_topics')),
    )
    op.create_index('ix_workshop_topics_topic_id', 'workshop_topics', ['topic_id'], unique=False)
    op.execute("INSERT INTO workshop_topics (workshop_id, topic_id) SELECT id, topic_id FROM workshops")

    op.create_table(
        'workshop_invitations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workshop_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('invited_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_workshop_invitations_case_id_cases')),
        sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'],
                                name=op.f('fk_workshop_invitations_invited_by_id_users')),
        sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'],
                                name=op.f('fk_workshop_invitations_workshop_id_workshops')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workshop_invitations')),
        sa.UniqueConstraint('workshop_id', 'case_id', name='uq_workshop_invitations_workshop_case'),
    )
    op.create_index('ix_workshop_invitations_case_id', 'workshop_invitations', ['case_id'], unique=False)

    op.create_table(
        'workshop_registrations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workshop_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('queued_at', UTCDateTime(), nullable=False),
        sa.Column('sequence', sa.Integer(), server_default='0', nullable=False),
        sa.CheckConstraint(f"status IN ({_listed(REGISTRATION_STATUSES)})",
                           name=op.f('ck_workshop_registrations_status')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_workshop_registrations_case_id_cases')),
        sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'],
                                name=op.f('fk_workshop_registrations_workshop_id_workshops')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workshop_registrations')),
        sa.UniqueConstraint('workshop_id', 'case_id', name='uq_workshop_registrations_workshop_case'),
    )
    op.create_index('ix_workshop_registrations_case_id', 'workshop_registrations', ['case_id'], unique=False)
    op.create_index('ix_workshop_registrations_workshop_status_queued', 'workshop_registrations',
                    ['workshop_id', 'status', 'queued_at', 'id'], unique=False)
    op.execute("INSERT INTO workshop_registrations (workshop_id, case_id, status, queued_at, sequence) "
               "SELECT workshop_id, case_id, 'attended', recorded_at, 0 FROM attendances")
    op.execute("UPDATE workshops SET status = 'held', places_taken = (SELECT count(*) FROM attendances "
               "WHERE attendances.workshop_id = workshops.id) "
               "WHERE EXISTS (SELECT 1 FROM attendances WHERE attendances.workshop_id = workshops.id)")

    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_reason', sa.String(length=500), server_default='',
                                      nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_attendances_withdrawn_by_id_users'), 'users',
                                    ['withdrawn_by_id'], ['id'])
    _event_kinds(KINDS + NEW_KINDS)


def downgrade():
    op.execute(f"DELETE FROM case_events WHERE kind IN ({_listed(NEW_KINDS)})")
    _event_kinds(KINDS)
    op.execute("DELETE FROM attendances WHERE withdrawn_at IS NOT NULL")
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attendances_withdrawn_by_id_users'), type_='foreignkey')
        batch_op.drop_column('withdrawn_reason')
        batch_op.drop_column('withdrawn_by_id')
        batch_op.drop_column('withdrawn_at')
    op.drop_index('ix_workshop_registrations_workshop_status_queued', table_name='workshop_registrations')
    op.drop_index('ix_workshop_registrations_case_id', table_name='workshop_registrations')
    op.drop_table('workshop_registrations')
    op.drop_index('ix_workshop_invitations_case_id', table_name='workshop_invitations')
    op.drop_table('workshop_invitations')
    op.drop_index('ix_workshop_topics_topic_id', table_name='workshop_topics')
    op.drop_table('workshop_topics')
    with _attendances_set_aside(), op.batch_alter_table('workshops', schema=None) as batch_op:
        batch_op.drop_constraint('status', type_='check')
        batch_op.alter_column('place', existing_type=sa.String(length=200), server_default=None)
        batch_op.drop_column('sequence')
        batch_op.drop_column('places_taken')
        batch_op.drop_column('status')
        batch_op.drop_column('registration_deadline')
        batch_op.drop_column('capacity')
        batch_op.drop_column('online_url')
        batch_op.drop_column('duration_minutes')
