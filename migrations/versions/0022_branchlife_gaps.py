"""organisation life gaps: who gave a 党课 (and whether they were the branch's 书记), why a meeting was
cancelled, 党小组 (party_group, party_group_member) as a meeting's attendees

Revision ID: 0022_branchlife_gaps
Revises: 0019_voice
Create Date: 2026-12-03 14:40:00

"""

import sqlalchemy as sa
from alembic import op

import app.core.types

# revision identifiers, used by Alembic.
revision = "0022_branchlife_gaps"
down_revision = "0020_membership"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "party_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_party_group_branch_id_branch"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_group")),
        sa.UniqueConstraint("branch_id", "name", name="uq_party_group_branch_name"),
    )
    op.create_index(op.f("ix_party_group_branch_id"), "party_group", ["branch_id"], unique=False)
    op.create_table(
        "party_group_member",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["party_group.id"],
            name=op.f("fk_party_group_member_group_id_party_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_party_group_member_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("group_id", "user_id", name=op.f("pk_party_group_member")),
        sa.UniqueConstraint("user_id", name=op.f("uq_party_group_member_user_id")),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_meeting_group_id_party_group"),
            "party_group",
            ["group_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lecturer_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("lecturer_is_secretary", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("cancel_reason", sa.String(length=500), nullable=False, server_default="")
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_meeting_lecturer_id_user"), "user", ["lecturer_id"], ["id"], ondelete="SET NULL"
        )


def downgrade():
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_meeting_lecturer_id_user"), type_="foreignkey")
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("lecturer_is_secretary")
        batch_op.drop_column("lecturer_id")
        batch_op.drop_constraint(batch_op.f("fk_meeting_group_id_party_group"), type_="foreignkey")
        batch_op.drop_column("group_id")
    op.drop_table("party_group_member")
    op.drop_index(op.f("ix_party_group_branch_id"), table_name="party_group")
    op.drop_table("party_group")
