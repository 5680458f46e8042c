"""Issue 17's gaps: anonymous survey responses kept WITHOUT ROWID on SQLite; reports of works
comments (``work_comment_report``) for the moderation queue.

Rows are then stored in order of their random key, and no hidden row number records the order in
which responses arrived (which, beside the participation markers' order, could name a member).
PostgreSQL has no rowid; there the responses are written in transactions of their own (see
``app.voice.surveys``), so nothing changes in its schema.

Revision ID: 0023_voice_gaps
Revises: 0019_voice
"""

import sqlalchemy as sa
from alembic import op

from app.core.types import UTCDateTime

revision = "0023_voice_gaps"
down_revision = "0022_branchlife_gaps"
branch_labels = None
depends_on = None


def _recreate(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "survey_response", recreate="always", table_kwargs={"sqlite_with_rowid": with_rowid}
    ):
        pass


def upgrade():
    _recreate(False)
    op.create_table(
        "work_comment_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["work_comment.id"],
            name=op.f("fk_work_comment_report_comment_id_work_comment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["user.id"],
            name=op.f("fk_work_comment_report_reporter_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["user.id"],
            name=op.f("fk_work_comment_report_resolved_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_comment_report")),
        sa.UniqueConstraint("comment_id", "reporter_id", name="uq_work_comment_report_comment_reporter"),
    )
    op.create_index("ix_work_comment_report_open", "work_comment_report", ["resolved_at", "comment_id"])


def downgrade():
    op.drop_index("ix_work_comment_report_open", table_name="work_comment_report")
    op.drop_table("work_comment_report")
    _recreate(True)
