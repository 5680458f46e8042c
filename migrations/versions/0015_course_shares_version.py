"""courses: a stamp that changes whenever a lesson's share of the course's 学时 may change

Revision ID: 0015_course_shares_version
Revises: 0014_course_credit_guard
Create Date: 2026-12-03 08:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015_course_shares_version"
down_revision = "0014_course_credit_guard"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shares_version", sa.String(length=32), nullable=False, server_default="")
        )


def downgrade():
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.drop_column("shares_version")
