"""xAPI outbox (statement status, the sender's lease and health), the 关怀版 switch on users, lesson captions

Revision ID: 0027_xapi_care_mode
Revises: 0021_search_pg
Create Date: 2026-12-03 17:00:00

Statements recorded before this revision start as ``pending``: once an LRS is configured they are
sent like new ones (their ids are already UUIDs, so a store that has some of them answers harmlessly).
"""

import sqlalchemy as sa
from alembic import op

import app.core.types

# revision identifiers, used by Alembic.
revision = "0027_xapi_care_mode"
down_revision = "0025_points_chain"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("xapi_statement", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="pending", nullable=False)
        )
        batch_op.add_column(sa.Column("sent_at", app.core.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("error", sa.String(length=300), nullable=True))
        batch_op.create_index("ix_xapi_statement_status", ["status", "id"], unique=False)

    op.create_table(
        "xapi_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lease_until", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("last_error_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_outbox")),
    )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("care_mode", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("course_lesson", schema=None) as batch_op:
        batch_op.add_column(sa.Column("captions_path", sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table("course_lesson", schema=None) as batch_op:
        batch_op.drop_column("captions_path")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("care_mode")
    op.drop_table("xapi_outbox")
    with op.batch_alter_table("xapi_statement", schema=None) as batch_op:
        batch_op.drop_index("ix_xapi_statement_status")
        batch_op.drop_column("error")
        batch_op.drop_column("sent_at")
        batch_op.drop_column("status")
