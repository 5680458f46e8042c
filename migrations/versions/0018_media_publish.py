"""media: a ladder published rung by rung (watchable first), and an estimated finish time

Revision ID: 0018_media_publish
Revises: 0015_course_shares_version
Create Date: 2026-12-03 14:00:00

"""

import sqlalchemy as sa
from alembic import op

import app.core.types

# revision identifiers, used by Alembic.
revision = "0018_media_publish"
down_revision = "0017_branchlife_review"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("media_asset", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("output_partial", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("estimated_done_at", app.core.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("media_asset", schema=None) as batch_op:
        batch_op.drop_column("estimated_done_at")
        batch_op.drop_column("output_partial")
