"""organisation life: meetings move from records to app/branchlife; planning, attendance, amendments

Every recorded meeting stays (as a finalised meeting) with its ledger entries untouched (source
``meeting:<id>``); each member credited for it becomes a ``present`` attendance row. The kinds
records used are renamed: assembly → general_assembly, lesson → lecture.

Revision ID: 0016_branchlife
Revises: 0015_course_shares_version
Create Date: 2026-12-03 14:00:00

"""

import sqlalchemy as sa
from alembic import op

import app.core.types

# revision identifiers, used by Alembic.
revision = "0016_branchlife"
down_revision = "0015_course_shares_version"
branch_labels = None
depends_on = None

RENAMED = {"assembly": "general_assembly", "lesson": "lecture"}


def upgrade():
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=16), type_=sa.String(length=24))
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="finalised")
        )
        batch_op.add_column(sa.Column("starts_at", app.core.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("ends_at", app.core.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("place", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("online_url", sa.String(length=500), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("agenda", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("audience", sa.String(length=16), nullable=False, server_default="chosen")
        )
        batch_op.add_column(sa.Column("summary", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("checkin_key", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("reminded_at", app.core.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("finalised_at", app.core.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("finalised_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_meeting_finalised_by_id_user"),
            "user",
            ["finalised_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_meeting_status_starts_at", ["status", "starts_at"], unique=False)

    meeting = sa.table(
        "meeting", sa.column("kind", sa.String), sa.column("finalised_at"), sa.column("created_at")
    )
    for old, new in RENAMED.items():
        op.execute(meeting.update().where(meeting.c.kind == old).values(kind=new))
    op.execute(meeting.update().values(finalised_at=meeting.c.created_at))

    op.create_table(
        "meeting_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False, server_default=""),
        sa.Column("checked_in_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False, server_default=""),
        sa.Column("leave_decision", sa.String(length=16), nullable=False, server_default=""),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user.id"],
            name=op.f("fk_meeting_attendance_decided_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_attendance_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_meeting_attendance_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_attendance")),
        sa.UniqueConstraint("meeting_id", "user_id", name="uq_meeting_attendance_meeting_user"),
    )
    with op.batch_alter_table("meeting_attendance", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_attendance_user", ["user_id", "meeting_id"], unique=False)

    op.create_table(
        "meeting_amendment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=False),
        sa.Column("new_value", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user.id"], name=op.f("fk_meeting_amendment_actor_id_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_amendment_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_amendment")),
    )
    with op.batch_alter_table("meeting_amendment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_amendment_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "meeting_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("thumb_name", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_file_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user.id"],
            name=op.f("fk_meeting_file_uploaded_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_file")),
    )
    with op.batch_alter_table("meeting_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_file_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "meeting_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("self_criticism", sa.Text(), nullable=False),
        sa.Column("criticism", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_note_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user.id"],
            name=op.f("fk_meeting_note_updated_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_meeting_note_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_note")),
        sa.UniqueConstraint("meeting_id", "user_id", name="uq_meeting_note_meeting_user"),
    )
    with op.batch_alter_table("meeting_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_note_user_id"), ["user_id"], unique=False)

    # Who was credited for a recorded meeting was present at it (a reversal does not undo presence:
    # it corrects hours, and shows on the member's record).
    op.execute(
        """
        INSERT INTO meeting_attendance (meeting_id, user_id, state, method, reason, leave_decision)
        SELECT DISTINCT m.id, e.user_id, 'present', 'recorded', '', ''
        FROM hours_entry e JOIN meeting m ON e.source_ref = 'meeting:' || CAST(m.id AS VARCHAR(20))
        WHERE e.source_kind = 'meeting'
        """
    )


def downgrade():
    # Meetings only planned (never held) had no place in the old table; held ones go back as recorded.
    op.execute("DELETE FROM meeting WHERE status <> 'finalised'")
    with op.batch_alter_table("meeting_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_note_user_id"))
    op.drop_table("meeting_note")
    with op.batch_alter_table("meeting_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_file_meeting_id"))
    op.drop_table("meeting_file")
    with op.batch_alter_table("meeting_amendment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_amendment_meeting_id"))
    op.drop_table("meeting_amendment")
    with op.batch_alter_table("meeting_attendance", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_attendance_user")
    op.drop_table("meeting_attendance")
    meeting = sa.table("meeting", sa.column("kind", sa.String))
    for old, new in RENAMED.items():
        op.execute(meeting.update().where(meeting.c.kind == new).values(kind=old))
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_status_starts_at")
        batch_op.drop_constraint(batch_op.f("fk_meeting_finalised_by_id_user"), type_="foreignkey")
        for column in (
            "finalised_by_id",
            "finalised_at",
            "reminded_at",
            "checkin_key",
            "summary",
            "audience",
            "agenda",
            "online_url",
            "place",
            "ends_at",
            "starts_at",
            "status",
        ):
            batch_op.drop_column(column)
        batch_op.alter_column("kind", existing_type=sa.String(length=24), type_=sa.String(length=16))
