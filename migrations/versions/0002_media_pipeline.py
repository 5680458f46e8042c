"""media pipeline: assets, renditions, resumable uploads

Revision ID: 0002_media_pipeline
Revises: 0001_foundation
Create Date: 2026-11-26 13:14:09.307885

"""

import sqlalchemy as sa
from alembic import op

import app.core.types

# revision identifiers, used by Alembic.
revision = "0002_media_pipeline"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "media_asset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "uploaded",
                "probing",
                "transcoding",
                "ready",
                "failed",
                name="media_asset_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=False),
        sa.Column("original_path", sa.String(length=500), nullable=True),
        sa.Column("original_size", sa.BigInteger(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("display_width", sa.Integer(), nullable=True),
        sa.Column("display_height", sa.Integer(), nullable=True),
        sa.Column("rotation", sa.Integer(), nullable=False),
        sa.Column("video_codec", sa.String(length=32), nullable=True),
        sa.Column("audio_codec", sa.String(length=32), nullable=True),
        sa.Column("frame_rate", sa.Float(), nullable=True),
        sa.Column("has_video", sa.Boolean(), nullable=False),
        sa.Column("has_audio", sa.Boolean(), nullable=False),
        sa.Column("bit_rate", sa.BigInteger(), nullable=True),
        sa.Column("needs_tone_mapping", sa.Boolean(), nullable=False),
        sa.Column("probe", sa.JSON(), nullable=True),
        sa.Column("output_dir", sa.String(length=255), nullable=True),
        sa.Column("master_playlist", sa.String(length=255), nullable=True),
        sa.Column("poster", sa.String(length=255), nullable=True),
        sa.Column("thumbnails", sa.JSON(), nullable=True),
        sa.Column("lease_holder", sa.String(length=120), nullable=True),
        sa.Column("lease_expires_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("queued_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("original_deleted_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_media_asset_owner_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_asset")),
    )
    op.create_index(op.f("ix_media_asset_owner_id"), "media_asset", ["owner_id"], unique=False)
    op.create_index("ix_media_asset_status_queued", "media_asset", ["status", "queued_at"], unique=False)

    op.create_table(
        "media_rendition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("hls", "mp4", "audio", name="media_rendition_kind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("bandwidth", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["media_asset.id"],
            name=op.f("fk_media_rendition_asset_id_media_asset"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_rendition")),
        sa.UniqueConstraint("asset_id", "path", name="uq_media_rendition_asset_path"),
    )
    op.create_index(op.f("ix_media_rendition_asset_id"), "media_rendition", ["asset_id"], unique=False)

    op.create_table(
        "media_upload",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["media_asset.id"],
            name=op.f("fk_media_upload_asset_id_media_asset"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_media_upload_owner_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_upload")),
    )
    op.create_index(op.f("ix_media_upload_owner_id"), "media_upload", ["owner_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_media_upload_owner_id"), table_name="media_upload")

    op.drop_table("media_upload")
    op.drop_index(op.f("ix_media_rendition_asset_id"), table_name="media_rendition")

    op.drop_table("media_rendition")
    op.drop_index("ix_media_asset_status_queued", table_name="media_asset")
    op.drop_index(op.f("ix_media_asset_owner_id"), table_name="media_asset")

    op.drop_table("media_asset")
