"""One live certificate per fact set: a partial unique index on the facts a certificate is looked up
by (member, kind, course or year, hours) among the certificates not revoked

Revision ID: 0031_certificate_live_unique
Revises: 0030_job_heartbeat
Create Date: 2026-12-04 20:30:00

Two exports of one branch running at once could each issue a member's 学时证明: two serials for one
set of facts. Twins made before this revision keep the first serial live; the later ones are revoked
with a reason naming the serial that stands (the index could not be built otherwise).
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import app.core.types

# revision identifiers, used by Alembic.
revision = "0031_certificate_live_unique"
down_revision = "0030_job_heartbeat"
branch_labels = None
depends_on = None

#: Every live certificate with an older live twin (same facts), and the first twin's serial.
TWINS = """
SELECT c.id, (
    SELECT f.serial FROM certificate f
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

certificate = sa.table(
    "certificate",
    sa.column("id", sa.Integer),
    sa.column("revoked_at", app.core.types.UTCDateTime(timezone=True)),
    sa.column("revoked_reason", sa.String),
)


def upgrade():
    bind = op.get_bind()
    twins = bind.execute(sa.text(TWINS)).all()
    now = datetime.now(UTC)
    for twin_id, kept in twins:
        bind.execute(
            certificate.update()
            .where(certificate.c.id == twin_id)
            .values(revoked_at=now, revoked_reason=f"重复签发，以 {kept} 为准")
        )
    op.create_index(
        "uq_certificate_live_facts",
        "certificate",
        ["user_id", "kind", sa.text("coalesce(course_id, 0)"), sa.text("coalesce(year, 0)"), "hours"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )


def downgrade():
    op.drop_index("uq_certificate_live_facts", table_name="certificate")
