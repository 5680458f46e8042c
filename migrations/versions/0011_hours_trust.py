"""records: a wall-clock credit budget per playback session, presence challenges drawn as images,
and manual entries that wait for a second coordinator

Revision ID: 0011_hours_trust
Revises: 0010_enrollment_completed_index
Create Date: 2026-12-03 08:10:00

"""

import sqlalchemy as sa
from alembic import op

import app.core.types

# revision identifiers, used by Alembic.
revision = "0011_hours_trust"
down_revision = "0010_enrollment_completed_index"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("playback_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("budget_seconds", sa.Float(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("credited_seconds", sa.Float(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("presence_misses", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("presence_open_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("presence_due_seconds", sa.Float(), nullable=True))
        batch_op.drop_column("presence_token")
        batch_op.drop_column("presence_due_at")

    op.create_table(
        "presence_challenge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("issued_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["playback_session.id"],
            name=op.f("fk_presence_challenge_session_id_playback_session"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_presence_challenge_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_presence_challenge")),
        sa.UniqueConstraint("public_id", name=op.f("uq_presence_challenge_public_id")),
    )
    with op.batch_alter_table("presence_challenge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_presence_challenge_session_id"), ["session_id"], unique=False)
        batch_op.create_index("ix_presence_challenge_user_issued", ["user_id", "issued_at"], unique=False)

    op.create_table(
        "manual_hours_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=8, scale=2), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_manual_hours_request_user_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["user.id"],
            name=op.f("fk_manual_hours_request_requested_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user.id"],
            name=op.f("fk_manual_hours_request_decided_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["hours_entry.id"],
            name=op.f("fk_manual_hours_request_entry_id_hours_entry"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_hours_request")),
    )
    with op.batch_alter_table("manual_hours_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_manual_hours_request_user_id"), ["user_id"], unique=False)
        batch_op.create_index("ix_manual_hours_request_status", ["status", "requested_at"], unique=False)


def downgrade():
    with op.batch_alter_table("manual_hours_request", schema=None) as batch_op:
        batch_op.drop_index("ix_manual_hours_request_status")
        batch_op.drop_index(batch_op.f("ix_manual_hours_request_user_id"))
    op.drop_table("manual_hours_request")
    with op.batch_alter_table("presence_challenge", schema=None) as batch_op:
        batch_op.drop_index("ix_presence_challenge_user_issued")
        batch_op.drop_index(batch_op.f("ix_presence_challenge_session_id"))
    op.drop_table("presence_challenge")
    with op.batch_alter_table("playback_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("presence_token", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("presence_due_at", app.core.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_column("presence_due_seconds")
        batch_op.drop_column("presence_open_id")
        batch_op.drop_column("presence_misses")
        batch_op.drop_column("credited_seconds")
        batch_op.drop_column("budget_seconds")
