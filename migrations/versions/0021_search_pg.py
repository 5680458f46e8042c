"""search: the PostgreSQL search backend's tables (on PostgreSQL only; nothing on SQLite)

Revision ID: 0021_search_pg
Revises: 0015_course_shares_version
Create Date: 2026-12-03 14:10:00

The tables are not models (no ORM code reads them): ``search_index/pg_backend.py`` writes and
queries them in SQL, and its rebuild creates new ones with the same statements (``ddl``), copied
here as they are today.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0021_search_pg"
down_revision = "0023_voice_gaps"
branch_labels = None
depends_on = None

STATEMENTS = [
    "CREATE SEQUENCE search_document_seq",
    """CREATE TABLE search_document (
        key text NOT NULL, type text NOT NULL, doc_id bigint NOT NULL,
        title text NOT NULL, title_key text NOT NULL, excerpt text NOT NULL, url text NOT NULL,
        scope text, visibility text NOT NULL, roles text[] NOT NULL DEFAULT '{}',
        owner_id bigint, parent text, stamp text NOT NULL DEFAULT '',
        seq bigint NOT NULL DEFAULT nextval('search_document_seq'),
        tsv tsvector NOT NULL,
        CONSTRAINT pk_search_document PRIMARY KEY (key))""",
    "CREATE INDEX ix_search_document_tsv ON search_document USING gin (tsv)",
    "CREATE INDEX ix_search_document_type ON search_document (type, doc_id)",
    "CREATE INDEX ix_search_document_parent ON search_document (parent)",
    "CREATE INDEX ix_search_document_title_key ON search_document (title_key)",
    """CREATE TABLE search_term (term text COLLATE "C" NOT NULL, docs integer NOT NULL DEFAULT 1,
        CONSTRAINT pk_search_term PRIMARY KEY (term))""",
]


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if not _postgresql():
        return
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade():
    if not _postgresql():
        return
    op.execute("DROP TABLE IF EXISTS search_term")
    op.execute("DROP TABLE IF EXISTS search_document")
    op.execute("DROP SEQUENCE IF EXISTS search_document_seq")
