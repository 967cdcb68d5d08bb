"""business_anonymised_at: a business anonymised by erasure (Art. 17 or the retention rule) carries the time, so
that the lower packages (bulk opening, duplicate matching, searches) can leave it out; filled from the privacy
log's ERASED entries

Revision ID: b1c2d3e4f5a7
Revises: 1a2b3c4d5e6f
Create Date: 2026-12-07 10:00:00
"""
import sqlalchemy as sa
from alembic import op

from app.timeutil import UTCDateTime

# revision identifiers, used by Alembic.
revision = 'b1c2d3e4f5a7'
down_revision = '1a2b3c4d5e6f'
branch_labels = None
depends_on = None

# The erasure's own log entry (one per business: uq_privacy_log_erased) says when; the same column type, so the
# value is copied as stored on either database.
FILL = """
UPDATE businesses SET anonymised_at = (
    SELECT privacy_log.created_at FROM privacy_log
    WHERE privacy_log.business_id = businesses.id AND privacy_log.action = 'erased')
WHERE EXISTS (
    SELECT 1 FROM privacy_log WHERE privacy_log.business_id = businesses.id AND privacy_log.action = 'erased')
"""


def upgrade():
    op.add_column('businesses', sa.Column('anonymised_at', UTCDateTime(), nullable=True))
    op.execute(FILL)


def downgrade():
    # Plain ALTER TABLE … DROP COLUMN (SQLite >= 3.35): a batch copy of businesses would lose its search triggers.
    op.drop_column('businesses', 'anonymised_at')
