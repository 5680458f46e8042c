"""courses: a partial index of completed enrolments, for the assignment report

Revision ID: 0010_enrollment_completed_index
Revises: 0009_meetings
Create Date: 2026-11-26 16:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_enrollment_completed_index"
down_revision = "0009_meetings"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("course_enrollment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_course_enrollment_completed",
            ["user_id", "course_id"],
            unique=False,
            postgresql_where=sa.text("completed_at IS NOT NULL"),
            sqlite_where=sa.text("completed_at IS NOT NULL"),
        )


def downgrade():
    with op.batch_alter_table("course_enrollment", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_course_enrollment_completed",
            postgresql_where=sa.text("completed_at IS NOT NULL"),
            sqlite_where=sa.text("completed_at IS NOT NULL"),
        )
