"""党务统计 and 红色地图: members' birth date and education; branches' address, coordinates and contact
number; meetings open to every member; the member-structure summary (stats_structure_count,
stats_summary_refresh); places on the map (map_place)

Revision ID: 0029_stats_map
Revises: 0021_search_pg
Create Date: 2026-12-03 17:00:00

"""

import sqlalchemy as sa
from alembic import op

import app.core.types

# revision identifiers, used by Alembic.
revision = "0029_stats_map"
down_revision = "0028_assessment"
branch_labels = None
depends_on = None

EDUCATION = ("junior", "senior", "college", "bachelor", "master", "doctor")


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("birth_date", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "education",
                sa.Enum(*EDUCATION, name="education", native_enum=False, length=20),
                nullable=True,
            )
        )
    with op.batch_alter_table("branch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("latitude", sa.Numeric(precision=9, scale=6), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Numeric(precision=9, scale=6), nullable=True))
        batch_op.add_column(
            sa.Column("contact_phone", sa.String(length=32), nullable=False, server_default="")
        )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_open", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "stats_structure_count",
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("bucket", sa.String(length=24), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["branch.id"],
            name=op.f("fk_stats_structure_count_branch_id_branch"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("branch_id", "dimension", "bucket", name=op.f("pk_stats_structure_count")),
    )
    op.create_table(
        "stats_summary_refresh",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("refreshed_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_stats_summary_refresh")),
    )
    op.create_table(
        "map_place",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("activity_room", "education_base", name="map_place_kind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("latitude", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("longitude", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=100), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_map_place_created_by_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_map_place")),
    )
    op.create_index("ix_map_place_lat_lng", "map_place", ["latitude", "longitude"], unique=False)
    # The map's bounding-box search over branches.
    op.create_index("ix_branch_lat_lng", "branch", ["latitude", "longitude"], unique=False)


def downgrade():
    op.drop_index("ix_branch_lat_lng", table_name="branch")
    op.drop_index("ix_map_place_lat_lng", table_name="map_place")
    op.drop_table("map_place")
    op.drop_table("stats_summary_refresh")
    op.drop_table("stats_structure_count")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("is_open")
    with op.batch_alter_table("branch", schema=None) as batch_op:
        batch_op.drop_column("contact_phone")
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
        batch_op.drop_column("address")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("education")
        batch_op.drop_column("birth_date")
