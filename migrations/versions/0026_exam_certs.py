"""exam integrity (switch limit and count, the exam page's reports) and PDF certificates with serials

Revision ID: 0026_exam_certs
Revises: 0021_search_pg
Create Date: 2026-12-03 17:00:00

"""

import sqlalchemy as sa
from alembic import op

import app.core.types

# revision identifiers, used by Alembic.
revision = "0026_exam_certs"
down_revision = "0024_member_gaps"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("quiz", schema=None) as batch_op:
        batch_op.add_column(sa.Column("switch_limit", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("quiz_attempt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("switch_count", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("last_switch_at", app.core.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "quiz_exam_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("client_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["quiz_attempt.id"],
            name=op.f("fk_quiz_exam_event_attempt_id_quiz_attempt"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_exam_event")),
    )
    op.create_index("ix_quiz_exam_event_attempt", "quiz_exam_event", ["attempt_id", "received_at"])
    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("holder_name", sa.String(length=64), nullable=False),
        sa.Column("hours", sa.Numeric(precision=8, scale=2), nullable=False),
        sa.Column("completed_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_entry_id", sa.Integer(), nullable=False),
        sa.Column("revoked_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_certificate_user_id_user"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
        sa.UniqueConstraint("serial", name=op.f("uq_certificate_serial")),
    )
    op.create_index("ix_certificate_user_kind", "certificate", ["user_id", "kind", "course_id", "year"])


def downgrade():
    op.drop_index("ix_certificate_user_kind", table_name="certificate")
    op.drop_table("certificate")
    op.drop_index("ix_quiz_exam_event_attempt", table_name="quiz_exam_event")
    op.drop_table("quiz_exam_event")
    with op.batch_alter_table("quiz_attempt", schema=None) as batch_op:
        batch_op.drop_column("last_switch_at")
        batch_op.drop_column("switch_count")
    with op.batch_alter_table("quiz", schema=None) as batch_op:
        batch_op.drop_column("switch_limit")
