"""courses: wrong check-in codes, kept per member and class session for the attempt limit

Revision ID: 0014_course_credit_guard
Revises: 0013_question_owners
Create Date: 2026-11-27 10:00:00

"""

import sqlalchemy as sa
from alembic import op

import app.core.types

# revision identifiers, used by Alembic.
revision = "0014_course_credit_guard"
down_revision = "0013_question_owners"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "course_checkin_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["course_class_session.id"],
            name=op.f("fk_course_checkin_failure_session_id_course_class_session"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_course_checkin_failure_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_checkin_failure")),
    )
    with op.batch_alter_table("course_checkin_failure", schema=None) as batch_op:
        batch_op.create_index(
            "ix_course_checkin_failure_attempt", ["session_id", "user_id", "occurred_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_course_checkin_failure_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("course_checkin_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_checkin_failure_user_id"))
        batch_op.drop_index("ix_course_checkin_failure_attempt")
    op.drop_table("course_checkin_failure")
