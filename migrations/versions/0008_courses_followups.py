"""courses: a trainer's manual check-in (补签) keeps who recorded it and why

Revision ID: 0008_courses_followups
Revises: 0007_hours_totals
Create Date: 2026-11-26 15:53:04.159923

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_courses_followups"
down_revision = "0007_hours_totals"
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows are members' own check-ins: no recorder, no reason. The status column is a
    # VARCHAR without a CHECK constraint, so the new "manual" status needs no change here.
    with op.batch_alter_table("course_attendance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.String(length=200), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_course_attendance_recorded_by_id_user"),
            "user",
            ["recorded_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    # The code before this revision knows only on_time and late: 补签 rows stay attendances (their
    # method stays "manual"), with the reason and the recorder lost.
    op.execute("UPDATE course_attendance SET status = 'on_time' WHERE status = 'manual'")
    with op.batch_alter_table("course_attendance", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_course_attendance_recorded_by_id_user"), type_="foreignkey")
        batch_op.drop_column("reason")
        batch_op.drop_column("recorded_by_id")
