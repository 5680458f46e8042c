"""quiz: question owners and co-editing grants, unranked contest attempts; import jobs of any kind

Revision ID: 0013_question_owners
Revises: 0012_account_sessions
Create Date: 2026-12-02 10:00:00

"""

import sqlalchemy as sa
from alembic import op

import app.core.types

# revision identifiers, used by Alembic.
revision = "0013_question_owners"
down_revision = "0012_account_sessions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("quiz_question", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_quiz_question_owner_id"), ["owner_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_quiz_question_owner_id_user"), "user", ["owner_id"], ["id"], ondelete="SET NULL"
        )
    # Existing questions belong to whoever wrote them; those of unknown origin stay with admins.
    op.execute("UPDATE quiz_question SET owner_id = created_by_id WHERE created_by_id IS NOT NULL")

    op.create_table(
        "quiz_question_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("grantee_id", sa.Integer(), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_quiz_question_grant_owner_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["grantee_id"],
            ["user.id"],
            name=op.f("fk_quiz_question_grant_grantee_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"],
            ["user.id"],
            name=op.f("fk_quiz_question_grant_granted_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_question_grant")),
        sa.UniqueConstraint("owner_id", "category", "grantee_id", name="uq_quiz_question_grant"),
    )
    with op.batch_alter_table("quiz_question_grant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quiz_question_grant_grantee_id"), ["grantee_id"], unique=False)

    with op.batch_alter_table("quiz_attempt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_ranked", sa.Boolean(), server_default=sa.true(), nullable=False))

    with op.batch_alter_table("import_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), server_default="members", nullable=False))
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("skipped_count", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("import_job", schema=None) as batch_op:
        batch_op.drop_column("skipped_count")
        batch_op.drop_column("params")
        batch_op.drop_column("kind")

    with op.batch_alter_table("quiz_attempt", schema=None) as batch_op:
        batch_op.drop_column("is_ranked")

    with op.batch_alter_table("quiz_question_grant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quiz_question_grant_grantee_id"))
    op.drop_table("quiz_question_grant")

    with op.batch_alter_table("quiz_question", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_quiz_question_owner_id_user"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_quiz_question_owner_id"))
        batch_op.drop_column("owner_id")
