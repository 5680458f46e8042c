"""Points that count learning and can be proven: the points ledger hash-chained per member
(``points_entry.chain_index / prev_hash / hash``, ``points_head``), media seconds carried towards the
next point (``points_day.carry``), knowledge-base reading measured by the server
(``article_reading``), and the last nightly verification of each ledger (``integrity_status``).

Existing points entries are chained here, per member in id order, with the same digest the
application uses (``app.quiz.points_chain.entry_digest``): after this revision every row is on a
chain, so a row left unchained later is a row somebody inserted.

Revision ID: 0025_points_chain
Revises: 0021_search_pg
"""

import sqlalchemy as sa
from alembic import op

from app.core.types import UTCDateTime

revision = "0025_points_chain"
down_revision = "0029_stats_map"
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64


def _chain_existing_entries() -> None:
    from app.quiz.points_chain import entry_digest  # the one digest, frozen in its docstring

    bind = op.get_bind()
    entries = sa.table(
        "points_entry",
        sa.column("id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("action", sa.String),
        sa.column("ref", sa.String),
        sa.column("points", sa.Integer),
        sa.column("day", sa.Date),
        sa.column("created_at", UTCDateTime(timezone=True)),
        sa.column("note", sa.String),
        sa.column("chain_index", sa.Integer),
        sa.column("prev_hash", sa.String),
        sa.column("hash", sa.String),
    )
    heads = sa.table(
        "points_head",
        sa.column("user_id", sa.Integer),
        sa.column("last_entry_id", sa.Integer),
        sa.column("last_hash", sa.String),
        sa.column("length", sa.Integer),
    )
    rows = bind.execute(sa.select(entries).order_by(entries.c.user_id, entries.c.id)).all()
    tails: dict[int, tuple[int, str, int]] = {}
    updates = []
    for row in rows:
        _, prev_hash, length = tails.get(row.user_id, (None, GENESIS_HASH, 0))
        index = length + 1
        digest = entry_digest(
            prev_hash,
            user_id=row.user_id,
            chain_index=index,
            action=row.action,
            ref=row.ref,
            points=row.points,
            day=row.day,
            created_at=row.created_at,
            note=row.note,
        )
        updates.append({"i": row.id, "c": index, "p": prev_hash, "h": digest})
        tails[row.user_id] = (row.id, digest, index)
    if updates:
        bind.execute(
            sa.update(entries)
            .where(entries.c.id == sa.bindparam("i"))
            .values(chain_index=sa.bindparam("c"), prev_hash=sa.bindparam("p"), hash=sa.bindparam("h")),
            updates,
        )
        bind.execute(
            sa.insert(heads),
            [
                {"user_id": u, "last_entry_id": e, "last_hash": h, "length": n}
                for u, (e, h, n) in tails.items()
            ],
        )


def upgrade():
    op.create_table(
        "points_head",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("last_entry_id", sa.Integer(), nullable=True),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_points_head_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_points_head")),
    )
    with op.batch_alter_table("points_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain_index", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing_entries()
    with op.batch_alter_table("points_entry", schema=None) as batch_op:
        batch_op.alter_column("chain_index", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table("points_day", schema=None) as batch_op:
        batch_op.add_column(sa.Column("carry", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "article_reading",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("session_key", sa.String(length=64), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("was_visible", sa.Boolean(), nullable=False),
        sa.Column("visible_seconds", sa.Float(), nullable=False),
        sa.Column("reached_end", sa.Boolean(), nullable=False),
        sa.Column("read_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_reading_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_article_reading_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "article_id", name=op.f("pk_article_reading")),
    )
    op.create_table(
        "integrity_status",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("problem_count", sa.Integer(), nullable=False),
        sa.Column("problems", sa.Text(), nullable=False),
        sa.Column("checked_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("failing_since", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_integrity_status")),
    )


def downgrade():
    op.drop_table("integrity_status")
    op.drop_table("article_reading")
    with op.batch_alter_table("points_day", schema=None) as batch_op:
        batch_op.drop_column("carry")
    with op.batch_alter_table("points_entry", schema=None) as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("chain_index")
    op.drop_table("points_head")
