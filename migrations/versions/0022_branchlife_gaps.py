"""organisation life gaps: who gave a 党课 (and whether they were the branch's 书记), why a meeting was
cancelled

Revision ID: 0022_branchlife_gaps
Revises: 0019_voice
Create Date: 2026-12-03 14:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022_branchlife_gaps"
down_revision = "0019_voice"
branch_labels = None
depends_on = None


def upgrade():
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
