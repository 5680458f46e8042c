"""member gaps: the 入党申请人 category, 导入时的既有身份 (category_baseline), card photos (member_photo),
and what a media upload is for (media_asset.purpose, media_upload.purpose: lesson or a member's work)

Revision ID: 0024_member_gaps
Revises: 0021_search_pg
Create Date: 2026-12-03 17:00:00

"""

import sqlalchemy as sa
from alembic import op

import app.core.types

# revision identifiers, used by Alembic.
revision = "0024_member_gaps"
down_revision = "0021_search_pg"
branch_labels = None
depends_on = None

CATEGORIES = ("full", "probationary", "candidate", "activist", "applicant", "masses")


def upgrade():
    # user.category is a VARCHAR(20) without a CHECK constraint (enum_column): "applicant" needs no
    # change to it.
    op.create_table(
        "category_baseline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(*CATEGORIES, name="member_category", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "source", sa.Enum("import", name="baseline_source", native_enum=False, length=8), nullable=False
        ),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["user.id"], name=op.f("fk_category_baseline_member_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user.id"],
            name=op.f("fk_category_baseline_recorded_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_baseline")),
    )
    op.create_index(op.f("ix_category_baseline_member_id"), "category_baseline", ["member_id"], unique=False)
    op.create_table(
        "member_photo",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["user.id"], name=op.f("fk_member_photo_member_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user.id"],
            name=op.f("fk_member_photo_uploaded_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_photo")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_member_photo_stored_name")),
    )

    for table in ("media_asset", "media_upload"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "purpose",
                    sa.Enum("lesson", "work", name=f"{table}_purpose", native_enum=False, length=8),
                    server_default="lesson",
                    nullable=False,
                )
            )


def downgrade():
    for table in ("media_upload", "media_asset"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("purpose")
    op.drop_table("member_photo")
    op.drop_index(op.f("ix_category_baseline_member_id"), table_name="category_baseline")
    op.drop_table("category_baseline")
    # The code before this revision knows no 入党申请人: such people have no category yet.
    op.execute("UPDATE \"user\" SET category = NULL WHERE category = 'applicant'")
