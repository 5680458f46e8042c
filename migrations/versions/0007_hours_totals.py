"""each member's hours per year, kept beside the ledger for reports

Revision ID: 0007_hours_totals
Revises: 0006_records
Create Date: 2026-11-26 16:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007_hours_totals"
down_revision = "0006_records"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "hours_total",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_hours_total_user_id_user"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("user_id", "year", name=op.f("pk_hours_total")),
    )
    # The totals of the entries already in the ledger.
    op.execute(
        "INSERT INTO hours_total (user_id, year, hours) "
        "SELECT user_id, year, SUM(hours) FROM hours_entry GROUP BY user_id, year"
    )


def downgrade():
    op.drop_table("hours_total")
