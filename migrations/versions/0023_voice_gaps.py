"""Issue 17's gaps: anonymous survey responses kept WITHOUT ROWID on SQLite.

Rows are then stored in order of their random key, and no hidden row number records the order in
which responses arrived (which, beside the participation markers' order, could name a member).
PostgreSQL has no rowid; there the responses are written in transactions of their own (see
``app.voice.surveys``), so nothing changes in its schema.

Revision ID: 0023_voice_gaps
Revises: 0019_voice
"""

from alembic import op

revision = "0023_voice_gaps"
down_revision = "0019_voice"
branch_labels = None
depends_on = None


def _recreate(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "survey_response", recreate="always", table_kwargs={"sqlite_with_rowid": with_rowid}
    ):
        pass


def upgrade():
    _recreate(False)


def downgrade():
    _recreate(True)
