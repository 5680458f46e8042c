"""The search index in PostgreSQL (``SEARCH_BACKEND = "postgresql"``): any number of machines.

Tables (migration ``0021_search_pg``; PostgreSQL only)::

    search_document  one row per document: permission columns, stored title/excerpt/url, and
                     ``tsv``, a tsvector of our own analysis (title weight A, body B) with a GIN
                     index (see :mod:`search_index.pg_text`)
    search_term      every lexeme indexed, with the documents holding it: exact after a rebuild,
                     refreshed from ``ts_stat`` by :meth:`PgSearchBackend.refresh_terms` (beat);
                     a writer adds its new lexemes at once (known_terms, spelling suggestions)

- **Writers**: any number at once. A write is one transaction of ``INSERT … ON CONFLICT DO
  UPDATE`` (rows in key order, so two writers lock in the same order) and ``ON CONFLICT DO
  NOTHING`` for new terms; a deadlock that still happens is retried. There is no lock file and
  no :class:`IndexBusy` under normal load.
- **Search**: one SQL statement: ``tsv @@ query`` (phrases through ``<->``), the viewer's
  permissions as WHERE conditions on columns, ranked by ``ts_rank_cd`` with the title weighted
  above the body, times the same title bonus as the Whoosh backend, with the exact total. If it
  takes longer than ``time_budget`` it is cancelled and the best of the first
  :data:`CUT_SHORT_WINDOW` matches (and the items titled exactly as the query) are returned, as
  the Whoosh backend does, with the total counted up to :data:`COUNT_CAP` within
  :data:`COUNT_BUDGET_SECONDS` (estimated beyond).
- **Rebuild**: fills new tables (``search_document_new_<id>``, ``search_term_new_<id>``), then
  drops the live tables and renames the new ones in one transaction; searches read the old
  tables until that commit.
"""

import contextlib
import json
import logging
import uuid
from collections import Counter
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.extensions import db
from search_index.backend import BulkWriter, IndexBusy, RawHit, RawPage, SearchBackend, Viewer
from search_index.pg_text import row, title_key, to_tsquery
from search_index.query import ParsedQuery, one_edit_apart
from search_index.registry import SearchDocument

logger = logging.getLogger(__name__)

DOCUMENTS, TERMS = "search_document", "search_term"
#: Tables of this backend (created on PostgreSQL only; not in the models' metadata).
TABLES = (DOCUMENTS, TERMS)
#: Matches ranked when the full ranking ran out of time.
CUT_SHORT_WINDOW = 50
#: When the ranking was cut short: matches counted exactly (at most this many, for at most this
#: long); beyond, the planner's estimate.
COUNT_CAP, COUNT_BUDGET_SECONDS = 10_000, 0.05
#: Rows per INSERT statement.
BATCH = 200
#: Attempts of a write that hit a deadlock with another writer before giving up (IndexBusy).
WRITE_ATTEMPTS = 4
#: Any constant: rebuilds of one database take this advisory lock in turn.
REBUILD_LOCK = 0x5EA4C4


def ddl(documents: str, terms: str) -> list[str]:
    """CREATE statements of the two tables under the given names (the migration has a copy)."""
    return [
        f"""CREATE TABLE {documents} (
            key text NOT NULL, type text NOT NULL, doc_id bigint NOT NULL,
            title text NOT NULL, title_key text NOT NULL, excerpt text NOT NULL, url text NOT NULL,
            scope text, visibility text NOT NULL, roles text[] NOT NULL DEFAULT '{{}}',
            owner_id bigint, parent text, stamp text NOT NULL DEFAULT '',
            seq bigint NOT NULL DEFAULT nextval('search_document_seq'),
            tsv tsvector NOT NULL,
            CONSTRAINT pk_{documents} PRIMARY KEY (key))""",
        f"CREATE INDEX ix_{documents}_tsv ON {documents} USING gin (tsv)",
        f"CREATE INDEX ix_{documents}_type ON {documents} (type, doc_id)",
        f"CREATE INDEX ix_{documents}_parent ON {documents} (parent)",
        f"CREATE INDEX ix_{documents}_title_key ON {documents} (title_key)",
        f"""CREATE TABLE {terms} (term text COLLATE "C" NOT NULL, docs integer NOT NULL DEFAULT 1,
            CONSTRAINT pk_{terms} PRIMARY KEY (term))""",
    ]


_UPSERT = """
INSERT INTO {table} (key, type, doc_id, title, title_key, excerpt, url, scope, visibility, roles,
                     owner_id, parent, stamp, tsv)
VALUES (:key, :type, :doc_id, :title, :title_key, :excerpt, :url, :scope, :visibility, :roles,
        :owner_id, :parent, :stamp, CAST(:tsv AS tsvector))
ON CONFLICT (key) DO UPDATE SET
    type = EXCLUDED.type, doc_id = EXCLUDED.doc_id, title = EXCLUDED.title,
    title_key = EXCLUDED.title_key, excerpt = EXCLUDED.excerpt, url = EXCLUDED.url,
    scope = EXCLUDED.scope, visibility = EXCLUDED.visibility, roles = EXCLUDED.roles,
    owner_id = EXCLUDED.owner_id, parent = EXCLUDED.parent, stamp = EXCLUDED.stamp,
    seq = nextval('search_document_seq'), tsv = EXCLUDED.tsv
"""
_ADD_TERMS = "INSERT INTO {table} (term) SELECT unnest(CAST(:terms AS text[])) ON CONFLICT DO NOTHING"

# The statements of a search are constant text: everything that varies is a bound parameter.
#: The documents the viewer may see (the Whoosh backend's mask, as conditions on columns):
#: restricted ones only for their roles and owner; branch-scoped ones only within the viewer's
#: own branch line or the subtree they manage. Then the type filter.
_VISIBLE = """
    (CAST(:viewer_admin AS boolean)
     OR ((visibility <> 'restricted' OR roles && CAST(:viewer_roles AS text[])
          OR owner_id = CAST(:viewer_id AS bigint))
         AND (scope IS NULL OR scope = ANY(CAST(:viewer_scopes AS text[]))
              OR (CAST(:viewer_prefix AS text) <> '' AND starts_with(scope, CAST(:viewer_prefix AS text))))))
    AND (CAST(:types AS text[]) IS NULL OR type = ANY(CAST(:types AS text[])))
"""
_MATCHING = "tsv @@ CAST(:q AS tsquery) AND " + _VISIBLE
#: ts_rank_cd with the title (A) weighted 2.5 times the body (B), times the title bonus: exactly
#: the query ×3, the query's words in a row ×1.5, all of them somewhere ×1.2.
_HIT_COLUMNS = """
    type, doc_id, title, url, excerpt, seq,
    ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', tsv, CAST(:q AS tsquery), 1) * CASE
        WHEN :key <> '' AND title_key = :key THEN 3.0
        WHEN :key <> '' AND strpos(title_key, :key) > 0 THEN 1.5
        WHEN cardinality(CAST(:words AS text[])) > 0 AND NOT EXISTS (
            SELECT 1 FROM unnest(CAST(:words AS text[])) w WHERE strpos(title_key, w) = 0) THEN 1.2
        ELSE 1.0 END AS score
"""
# (S608: these are composed of the constant fragments above, never of input.)
_RANKED = sa.text(
    "SELECT "  # noqa: S608
    + _HIT_COLUMNS
    + ", count(*) OVER () AS total FROM search_document WHERE "
    + _MATCHING
    + " ORDER BY score DESC, seq LIMIT :limit OFFSET :offset"
)
_COUNT = sa.text("SELECT count(*) FROM search_document WHERE " + _MATCHING)  # noqa: S608
_CUT_SHORT = sa.text(
    "SELECT * FROM ((SELECT "  # noqa: S608
    + _HIT_COLUMNS
    + " FROM search_document WHERE "
    + _MATCHING
    + " LIMIT :window)"
    " UNION (SELECT " + _HIT_COLUMNS + " FROM search_document WHERE " + _MATCHING + " AND title_key = :key)"
    ") AS found ORDER BY score DESC, seq"
)
_COUNT_UP_TO = sa.text(
    "SELECT count(*) FROM (SELECT 1 FROM search_document WHERE "  # noqa: S608
    + _MATCHING
    + " LIMIT :cap) AS found"
)
_ESTIMATE = sa.text("EXPLAIN (FORMAT JSON) SELECT 1 FROM search_document WHERE " + _MATCHING)  # noqa: S608
_DELETE = sa.text(
    "DELETE FROM search_document"
    " WHERE key = ANY(CAST(:keys AS text[])) OR parent = ANY(CAST(:parents AS text[]))"
)
_KNOWN = sa.text("SELECT term FROM search_term WHERE term = ANY(CAST(:words AS text[]))")
_NEAR = sa.text(
    "SELECT term, docs FROM search_term WHERE term LIKE :prefix AND term <> :word AND docs > 0"
    " AND length(term) BETWEEN :shortest AND :longest"
)
_BULK_TERMS = (
    "INSERT INTO {table} (term, docs) SELECT * FROM unnest(CAST(:terms AS text[]), CAST(:docs AS int[]))"
)
#: Document frequencies from the documents themselves, in one statement (one snapshot: a term a
#: writer adds meanwhile is not touched); terms no document holds any more drop to 0.
_REFRESH_TERMS = sa.text("""
WITH stats AS (SELECT word, ndoc FROM ts_stat('SELECT tsv FROM search_document')),
     counted AS (
        INSERT INTO search_term (term, docs) SELECT word, ndoc FROM stats
        ON CONFLICT (term) DO UPDATE SET docs = EXCLUDED.docs WHERE search_term.docs <> EXCLUDED.docs)
UPDATE search_term SET docs = 0
WHERE docs <> 0 AND NOT EXISTS (SELECT 1 FROM stats WHERE stats.word = search_term.term)
""")
_COUNTS = sa.text("SELECT type, count(*) FROM search_document GROUP BY type")
_STAMPS = sa.text("SELECT doc_id, stamp FROM search_document WHERE type = :type")
_LEFTOVERS = sa.text(
    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    " AND (tablename LIKE 'search\\_document\\_new\\_%' OR tablename LIKE 'search\\_term\\_new\\_%')"
    " AND tablename NOT IN (:documents, :terms)"
)


def _is_deadlock(exc: sa.exc.DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in ("40P01", "40001")


def _is_cancelled(exc: sa.exc.DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == "57014"


def viewer_params(viewer: Viewer, types: list[str] | None) -> dict:
    """The bound parameters of :data:`_VISIBLE` for ``viewer``."""
    return {
        "viewer_admin": viewer.is_admin,
        "viewer_roles": sorted(viewer.roles),
        "viewer_id": viewer.user_id,
        "viewer_scopes": viewer.branch_scopes,
        "viewer_prefix": viewer.manage_prefix or "",
        "types": list(types) if types else None,
    }


class _Bulk(BulkWriter):
    def __init__(self, backend: "PgSearchBackend", table: str):
        self.backend, self.table = backend, table
        self.rows: list[dict] = []
        self.terms: Counter[str] = Counter()

    def add(self, document: SearchDocument) -> None:
        values, lexemes = row(document)
        self.rows.append(values)
        self.terms.update(lexemes)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            with self.backend._transaction() as connection:
                connection.execute(sa.text(_UPSERT.format(table=self.table)), self.rows)
            self.rows = []


class PgSearchBackend(SearchBackend):
    def __init__(self, time_budget: float = 0.03):
        #: Seconds the ranked search may take before the cheaper, cut-short one answers instead.
        self.time_budget = time_budget

    @contextlib.contextmanager
    def _transaction(self):
        """A connection in a transaction of its own (a savepoint when the application's bind
        is itself a connection in a transaction, as in the tests)."""
        with Session(bind=db.engine, join_transaction_mode="create_savepoint") as session, session.begin():
            yield session.connection()

    # --- writing ---------------------------------------------------------------------------------

    def write(
        self, documents: Iterable[SearchDocument], removed: Iterable[str], removed_parents: Iterable[str] = ()
    ) -> None:
        documents, removed, removed_parents = (
            list(documents),
            sorted(set(removed)),
            sorted(set(removed_parents)),
        )
        if not (documents or removed or removed_parents):
            return
        rows, terms = {}, set()
        for document in documents:
            values, lexemes = row(document)
            rows[values["key"]] = values
            terms |= lexemes
        ordered = [rows[k] for k in sorted(rows)]
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with self._transaction() as connection:
                    self._apply(connection, ordered, sorted(terms), removed, removed_parents)
                return
            except sa.exc.DBAPIError as exc:
                if not _is_deadlock(exc):
                    raise
                logger.info("search: write attempt %d met another writer, retrying", attempt)
        raise IndexBusy("search: writers kept deadlocking")

    @staticmethod
    def _apply(
        connection, rows: list[dict], terms: list[str], removed: list[str], parents: list[str]
    ) -> None:
        if removed or parents:
            connection.execute(_DELETE, {"keys": removed, "parents": parents})
        for start in range(0, len(rows), BATCH):
            connection.execute(sa.text(_UPSERT.format(table=DOCUMENTS)), rows[start : start + BATCH])
        if terms:
            connection.execute(sa.text(_ADD_TERMS.format(table=TERMS)), {"terms": terms})

    @contextlib.contextmanager
    def rebuild(self, procs: int = 1):
        """``procs`` is ignored: analysis runs in the caller, the database does the rest. The new
        tables are filled in short transactions (none spans the caller's reading), then swapped in
        one: searches and writers use the live tables until that commit."""
        suffix = uuid.uuid4().hex[:8]
        new_documents, new_terms = f"{DOCUMENTS}_new_{suffix}", f"{TERMS}_new_{suffix}"
        with self._transaction() as connection:
            for statement in ddl(new_documents, new_terms):
                connection.execute(sa.text(statement))
        bulk = _Bulk(self, new_documents)
        try:
            yield bulk
            bulk.flush()
            with self._transaction() as connection:
                terms = sorted(bulk.terms.items())
                for start in range(0, len(terms), 10_000):
                    chunk = terms[start : start + 10_000]
                    connection.execute(
                        sa.text(_BULK_TERMS.format(table=new_terms)),
                        {"terms": [t for t, _ in chunk], "docs": [n for _, n in chunk]},
                    )
                self._swap(connection, new_documents, new_terms)
        except BaseException:
            with self._transaction() as connection:
                for table in (new_documents, new_terms):
                    connection.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
            raise

    @staticmethod
    def _swap(connection, new_documents: str, new_terms: str) -> None:
        """Replace the live tables by the new ones (in the caller's transaction). Tables left by
        a rebuild that was killed are dropped too."""
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": REBUILD_LOCK})
        leftovers = connection.execute(_LEFTOVERS, {"documents": new_documents, "terms": new_terms}).scalars()
        for table in list(leftovers):
            connection.execute(sa.text(f'DROP TABLE IF EXISTS "{table}"'))
        for live, new in ((DOCUMENTS, new_documents), (TERMS, new_terms)):
            connection.execute(sa.text(f"DROP TABLE {live}"))
            connection.execute(sa.text(f"ALTER TABLE {new} RENAME TO {live}"))
            connection.execute(sa.text(f"ALTER TABLE {live} RENAME CONSTRAINT pk_{new} TO pk_{live}"))
        for index in ("tsv", "type", "parent", "title_key"):
            connection.execute(
                sa.text(f"ALTER INDEX ix_{new_documents}_{index} RENAME TO ix_{DOCUMENTS}_{index}")
            )
        connection.execute(sa.text(f"ANALYZE {DOCUMENTS}"))

    # --- reading ---------------------------------------------------------------------------------

    def search(
        self, query: ParsedQuery, viewer: Viewer, types: list[str] | None, page: int, per_page: int
    ) -> RawPage:
        if query.is_empty:
            return RawPage(0, [])
        with self._transaction() as connection:
            compounds = [c.words[0] for group in query.groups for c in group if c.kind == "term" and c.parts]
            known = self._known(connection, compounds)
            params = {
                "q": to_tsquery(query, known.__contains__),
                "key": title_key("".join(query.ordered_words())),
                "words": query.ordered_words(),
                **viewer_params(viewer, types),
            }
            ranked = self._ranked(connection, params, page, per_page)
            return ranked if ranked is not None else self._cut_short(connection, params, page, per_page)

    @staticmethod
    def _within(connection, seconds: float, statement, params: dict) -> list | None:
        """``statement``'s rows, or ``None`` when it was cancelled after ``seconds`` (a
        ``statement_timeout`` set in a savepoint, so the transaction goes on either way)."""
        if seconds <= 0:
            return None
        budget_ms = str(max(1, round(seconds * 1000)))
        set_timeout = sa.text("SELECT set_config('statement_timeout', :v, true)")
        try:
            with connection.begin_nested():
                previous = connection.execute(sa.text("SELECT current_setting('statement_timeout')")).scalar()
                connection.execute(set_timeout, {"v": budget_ms})
                rows = connection.execute(statement, params).all()
                connection.execute(set_timeout, {"v": previous})
        except sa.exc.DBAPIError as exc:
            if not _is_cancelled(exc):
                raise
            return None
        return rows

    def _ranked(self, connection, params: dict, page: int, per_page: int) -> RawPage | None:
        """Every match ranked, with the exact total; ``None`` past the time budget."""
        values = {**params, "limit": per_page, "offset": (page - 1) * per_page}
        rows = self._within(connection, self.time_budget, _RANKED, values)
        if rows is None:
            return None
        if rows or page == 1:
            total = rows[0].total if rows else 0
        else:  # past the last page
            total = connection.execute(_COUNT, params).scalar()
        return RawPage(total, [self._hit(r) for r in rows])

    def _cut_short(self, connection, params: dict, page: int, per_page: int) -> RawPage:
        """The best of the first matches found (and of the items titled exactly as the query, so
        that they lead whatever happens). When there may be more, they are counted for at most
        :data:`COUNT_BUDGET_SECONDS` and up to :data:`COUNT_CAP`, else estimated by the planner."""
        window = max(CUT_SHORT_WINDOW, page * per_page)
        rows = connection.execute(_CUT_SHORT, {**params, "window": window}).all()
        total, exact = len(rows), True
        if len(rows) >= window:
            counted = self._within(
                connection, COUNT_BUDGET_SECONDS, _COUNT_UP_TO, {**params, "cap": COUNT_CAP}
            )
            total = counted[0][0] if counted is not None else COUNT_CAP
            if total >= COUNT_CAP:
                plan = connection.execute(_ESTIMATE, params).scalar()
                plan = json.loads(plan) if isinstance(plan, str) else plan
                total, exact = max(int(plan[0]["Plan"]["Plan Rows"]), len(rows)), False
        hits = rows[(page - 1) * per_page : page * per_page]
        return RawPage(total, [self._hit(r) for r in hits], exact)

    @staticmethod
    def _hit(r) -> RawHit:
        return RawHit(
            type=r.type, id=r.doc_id, title=r.title, url=r.url, excerpt=r.excerpt, score=float(r.score)
        )

    @staticmethod
    def _known(connection, words: list[str]) -> set[str]:
        if not words:
            return set()
        return set(connection.execute(_KNOWN, {"words": list(words)}).scalars())

    def known_terms(self, words: list[str]) -> set[str]:
        with self._transaction() as connection:
            return self._known(connection, words)

    def suggest(self, word: str) -> list[str]:
        """Indexed words one edit from ``word`` sharing its first character (a wrong character
        typed later in the word: the usual Chinese input slip), most common first."""
        if len(word) < 2:
            return []
        near = {
            "prefix": _like_prefix(word[0]),
            "word": word,
            "shortest": len(word) - 1,
            "longest": len(word) + 1,
        }
        with self._transaction() as connection:
            rows = connection.execute(_NEAR, near).all()
        close = [(term, docs) for term, docs in rows if one_edit_apart(term, word)]
        return [term for term, _ in sorted(close, key=lambda r: (-r[1], r[0]))[:5]]

    def refresh_terms(self) -> None:
        """Recount the documents of every term (a writer only adds new terms, counted once)."""
        with self._transaction() as connection:
            connection.execute(_REFRESH_TERMS)

    def counts(self) -> dict[str, int]:
        with self._transaction() as connection:
            rows = connection.execute(_COUNTS)
            return {type_: count for type_, count in rows}

    def stamps(self, type_: str) -> dict[int, str]:
        with self._transaction() as connection:
            rows = connection.execute(_STAMPS, {"type": type_})
            return {int(id_): stamp for id_, stamp in rows}

    def current_name(self) -> str | None:
        """The live table's identity (it changes with every rebuild)."""
        with self._transaction() as connection:
            oid = connection.execute(sa.text("SELECT to_regclass(:t)::oid"), {"t": DOCUMENTS}).scalar()
        return f"{DOCUMENTS}#{oid}" if oid else None

    def close(self) -> None:
        """Nothing to close: connections come from the application's pool."""


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
