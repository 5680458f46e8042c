"""branchlife: 民主评议党员 — rounds, participants, the has-voted marker and the secret ballots

Revision ID: 0017_branchlife_review
Revises: 0015_course_shares_version
Create Date: 2026-12-03 13:45:00

"""

import sqlalchemy as sa
from alembic import op

import app.core.types

# revision identifiers, used by Alembic.
revision = "0017_branchlife_review"
down_revision = "0016_branchlife"
branch_labels = None
depends_on = None

GRADES = ("excellent", "qualified", "basic", "unqualified")


def upgrade():
    op.create_table(
        "branch_review_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("vote_starts_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("vote_ends_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tallied_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("voter_count", sa.Integer(), nullable=True),
        sa.Column("finished_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("vote_ends_at > vote_starts_at", name=op.f("ck_branch_review_round_window")),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["branch.id"],
            name=op.f("fk_branch_review_round_branch_id_branch"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["finished_by_id"],
            ["user.id"],
            name=op.f("fk_branch_review_round_finished_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["user.id"],
            name=op.f("fk_branch_review_round_opened_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_review_round")),
        sa.UniqueConstraint("branch_id", "year", name="uq_branch_review_round_branch_year"),
    )
    with op.batch_alter_table("branch_review_round", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_branch_review_round_branch_id"), ["branch_id"], unique=False)

    op.create_table(
        "branch_review_participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("self_assessment", sa.Text(), nullable=False),
        sa.Column("self_assessed_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("votes_excellent", sa.Integer(), nullable=True),
        sa.Column("votes_qualified", sa.Integer(), nullable=True),
        sa.Column("votes_basic", sa.Integer(), nullable=True),
        sa.Column("votes_unqualified", sa.Integer(), nullable=True),
        sa.Column(
            "grade",
            sa.Enum(*GRADES, name="branch_review_grade", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column("grade_reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["user.id"],
            name=op.f("fk_branch_review_participant_member_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["branch_review_round.id"],
            name=op.f("fk_branch_review_participant_round_id_branch_review_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_review_participant")),
        sa.UniqueConstraint("round_id", "member_id", name="uq_branch_review_participant_round_member"),
    )
    with op.batch_alter_table("branch_review_participant", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_branch_review_participant_member_id"), ["member_id"], unique=False
        )

    # Neither table has a time, and on SQLite neither has a hidden rowid: nothing remembers the order
    # in which votes were written (see app/branchlife/reviews/models.py).
    op.create_table(
        "branch_review_voter",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["branch_review_round.id"],
            name=op.f("fk_branch_review_voter_round_id_branch_review_round"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["voter_id"], ["user.id"], name=op.f("fk_branch_review_voter_voter_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("round_id", "voter_id", name=op.f("pk_branch_review_voter")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "branch_review_ballot",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column(
            "grade",
            sa.Enum(*GRADES, name="branch_review_ballot_grade", native_enum=False, length=20),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["user.id"],
            name=op.f("fk_branch_review_ballot_candidate_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["branch_review_round.id"],
            name=op.f("fk_branch_review_ballot_round_id_branch_review_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_branch_review_ballot")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("branch_review_ballot", schema=None) as batch_op:
        batch_op.create_index(
            "ix_branch_review_ballot_round_candidate", ["round_id", "candidate_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("branch_review_ballot", schema=None) as batch_op:
        batch_op.drop_index("ix_branch_review_ballot_round_candidate")
    op.drop_table("branch_review_ballot")
    op.drop_table("branch_review_voter")
    with op.batch_alter_table("branch_review_participant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_branch_review_participant_member_id"))
    op.drop_table("branch_review_participant")
    with op.batch_alter_table("branch_review_round", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_branch_review_round_branch_id"))
    op.drop_table("branch_review_round")
