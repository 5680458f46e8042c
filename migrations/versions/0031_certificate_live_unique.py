"""One live certificate per fact set: a partial unique index on the facts a certificate is looked up
by (member, kind, course or year, hours) among the certificates not revoked

Revision ID: 0031_certificate_live_unique
Revises: 0030_job_heartbeat
Create Date: 2026-12-04 20:30:00

Two exports of one branch running at once could each issue a member's 学时证明: two serials for one
set of facts. Twins made before this revision stay valid (either may be on paper, and the public
verification page must keep confirming it); the later ones get ``twin_of_id``, the first one's id,
which keeps them out of the index and out of the lookups that hand a certificate out again.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0031_certificate_live_unique"
down_revision = "0030_job_heartbeat"
branch_labels = None
depends_on = None

#: Every live certificate with an older live twin (same facts), and the first twin's id.
TWINS = """
SELECT c.id, (
    SELECT f.id FROM certificate f
    WHERE f.revoked_at IS NULL AND f.user_id = c.user_id AND f.kind = c.kind
      AND coalesce(f.course_id, 0) = coalesce(c.course_id, 0)
      AND coalesce(f.year, 0) = coalesce(c.year, 0) AND f.hours = c.hours
    ORDER BY f.id LIMIT 1
)
FROM certificate c
WHERE c.revoked_at IS NULL AND EXISTS (
    SELECT 1 FROM certificate e
    WHERE e.revoked_at IS NULL AND e.user_id = c.user_id AND e.kind = c.kind
      AND coalesce(e.course_id, 0) = coalesce(c.course_id, 0)
      AND coalesce(e.year, 0) = coalesce(c.year, 0) AND e.hours = c.hours AND e.id < c.id
)
"""

certificate = sa.table("certificate", sa.column("id", sa.Integer), sa.column("twin_of_id", sa.Integer))


def upgrade():
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("twin_of_id", sa.Integer(), nullable=True))
    bind = op.get_bind()
    for twin_id, first_id in bind.execute(sa.text(TWINS)).all():
        bind.execute(certificate.update().where(certificate.c.id == twin_id).values(twin_of_id=first_id))
    op.create_index(
        "uq_certificate_live_facts",
        "certificate",
        ["user_id", "kind", sa.text("coalesce(course_id, 0)"), sa.text("coalesce(year, 0)"), "hours"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL AND twin_of_id IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL AND twin_of_id IS NULL"),
    )


def downgrade():
    op.drop_index("uq_certificate_live_facts", table_name="certificate")
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_column("twin_of_id")
