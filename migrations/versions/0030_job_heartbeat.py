"""Background jobs' heartbeat: ``import_job.heartbeat_at``, touched whenever a job's progress is saved,
so the stale-job sweep can end a job whose worker died

Revision ID: 0030_job_heartbeat
Revises: 0027_xapi_care_mode
Create Date: 2026-12-04 17:40:00

Jobs recorded before this revision have none: the sweep counts from their ``created_at``.
"""

import sqlalchemy as sa
from alembic import op

import app.core.types

# revision identifiers, used by Alembic.
revision = "0030_job_heartbeat"
down_revision = "0027_xapi_care_mode"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_job", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("heartbeat_at", app.core.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_import_job_status", ["status"], unique=False)


def downgrade():
    with op.batch_alter_table("import_job", schema=None) as batch_op:
        batch_op.drop_index("ix_import_job_status")
        batch_op.drop_column("heartbeat_at")
