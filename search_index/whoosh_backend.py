"""The search index on one machine: Whoosh files under ``SEARCH_INDEX_DIR``.

Layout::

    SEARCH_INDEX_DIR/CURRENT         name of the live index folder (replaced atomically)
    SEARCH_INDEX_DIR/gen-<time>-<n>/ one complete Whoosh index per rebuild
    SEARCH_INDEX_DIR/jieba/          jieba's dictionary cache

A rebuild fills a new folder while searches and the indexing worker keep using the live one, then
switches ``CURRENT``. Whoosh's own lock file serialises writers; the indexing worker is the only
routine writer (see :mod:`search_index.indexing`).

Ranking and cost, on a pure-Python engine:

- a query matches one field, ``content`` (title, tags and body together), scored by Whoosh's
  BM25F: one posting list per word instead of one per word and field;
- the title boost is a re-rank of the best :data:`RERANK_WINDOW` hits (title exactly the query
  ×3, the query as a phrase in the title ×1.5, all its words in the title ×1.2), and items titled
  exactly as the query are looked up directly, so they lead whatever else happens;
- permissions are a *mask* of the few restricted and branch-scoped documents the viewer may not
  see, applied while matching: pages are never short and never leak;
- matching stops after ``time_budget`` seconds (``SEARCH_TIME_BUDGET_MS``): a query that matches a
  large part of the index returns the best hits scanned by then, with an estimated total.
"""

import contextlib
import fcntl
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from whoosh import collectors, fields, index, scoring
from whoosh import query as wq
from whoosh.index import LockError

from search_index.analysis import chinese_analyzer
from search_index.backend import BulkWriter, IndexBusy, RawHit, RawPage, SearchBackend, Viewer
from search_index.query import ParsedQuery, one_edit_apart
from search_index.registry import SearchDocument
from search_index.whoosh_query import (
    CONTENT,
    BudgetCollector,
    Compiler,
    count_matches,
    hidden_from,
    matching,
    title_bonus,
    title_key,
    words_with_prefix,
)

logger = logging.getLogger(__name__)

#: The best hits re-ranked by their titles; pages within it are consistent with each other.
RERANK_WINDOW = 50
#: Characters of the body kept for snippets (the whole body is indexed).
EXCERPT_CHARS = 20_000
#: ``scope`` of documents every branch may see.
EVERYWHERE = "*"


def make_schema() -> fields.Schema:
    analyzer = chinese_analyzer()
    return fields.Schema(
        key=fields.ID(unique=True, stored=True, sortable=True),
        type=fields.ID(stored=True),
        doc_id=fields.STORED(),
        #: Title, tags and body together: what a query must match (one posting list per word).
        content=fields.TEXT(analyzer=analyzer, stored=False),
        title=fields.STORED(),
        #: The title's words run together: the best hits are re-ranked by it (see title_bonus).
        title_key=fields.ID(sortable=True),
        excerpt=fields.STORED(),
        url=fields.STORED(),
        #: Branch path of the audience, ``*`` for everyone; ``scoped`` marks the others.
        scope=fields.ID(),
        scoped=fields.ID(),
        visibility=fields.ID(),
        roles=fields.KEYWORD(),
        owner=fields.ID(),
        parent=fields.ID(),
        stamp=fields.ID(sortable=True),
    )


def _fields(document: SearchDocument) -> dict:
    body = document.body or ""
    return {
        "key": document.key,
        "type": document.type,
        "doc_id": document.id,
        "content": "\n".join([document.title or "", " ".join(document.tags), body]),
        "title": document.title or "",
        "title_key": title_key(document.title or ""),
        "excerpt": body[:EXCERPT_CHARS],
        "url": document.url,
        "scope": document.scope or EVERYWHERE,
        "scoped": "1" if document.scope else "",
        "visibility": document.visibility,
        "roles": " ".join(document.roles),
        "owner": str(document.owner_id) if document.owner_id is not None else "",
        "parent": document.parent or "",
        "stamp": document.stamp,
    }


class _Bulk(BulkWriter):
    def __init__(self, writer):
        self.writer = writer
        self.count = 0

    def add(self, document: SearchDocument) -> None:
        self.writer.add_document(**_fields(document))
        self.count += 1


class WhooshBackend(SearchBackend):
    def __init__(self, root: str | os.PathLike, lock_timeout: float = 10.0, time_budget: float = 0.03):
        self.root = Path(root)
        self.lock_timeout = lock_timeout
        #: Seconds of matching per search before the best hits found so far are returned.
        self.time_budget = time_budget
        self._local = threading.local()

    # --- the live index folder -------------------------------------------------------------------

    @property
    def _pointer(self) -> Path:
        return self.root / "CURRENT"

    def current_name(self) -> str | None:
        try:
            name = self._pointer.read_text().strip()
        except FileNotFoundError:
            return None
        return name or None

    def _switch_to(self, name: str) -> None:
        temporary = self.root / f".CURRENT.{uuid.uuid4().hex}"
        temporary.write_text(name)
        os.replace(temporary, self._pointer)

    @contextlib.contextmanager
    def _folder_lock(self):
        """Serialises creating and switching index folders between processes."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".switch.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _new_folder(self) -> tuple[str, Path]:
        name = f"gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
        path = self.root / name
        path.mkdir(parents=True)
        return name, path

    def _open(self, create: bool = False):
        name = self.current_name()
        if name and index.exists_in(self.root / name):
            return name, index.open_dir(str(self.root / name))
        if not create:
            return None, None
        with self._folder_lock():
            name = self.current_name()
            if name and index.exists_in(self.root / name):
                return name, index.open_dir(str(self.root / name))
            name, path = self._new_folder()
            ix = index.create_in(str(path), make_schema())
            self._switch_to(name)
            return name, ix

    def exists(self) -> bool:
        name = self.current_name()
        return bool(name) and index.exists_in(self.root / name)

    def _searcher(self):
        """This thread's searcher on the live index, refreshed when the index changed."""
        name = self.current_name()
        cached = getattr(self._local, "searcher", None)
        if cached is not None and cached[0] == name and cached[1] == self.root:
            searcher = cached[2].refresh()
        else:
            if cached is not None:
                cached[2].close()
                self._local.searcher = None
            if not name or not index.exists_in(self.root / name):
                return None
            ix = index.open_dir(str(self.root / name))
            searcher = ix.searcher(weighting=scoring.BM25F())
        self._local.searcher = (name, self.root, searcher)
        return searcher

    # --- writing ---------------------------------------------------------------------------------

    def write(
        self, documents: Iterable[SearchDocument], removed: Iterable[str], removed_parents: Iterable[str] = ()
    ) -> None:
        documents, removed, removed_parents = list(documents), list(removed), list(removed_parents)
        if not (documents or removed or removed_parents):
            return
        _, ix = self._open(create=True)
        try:
            writer = ix.writer(timeout=self.lock_timeout, delay=0.05)
        except LockError as exc:
            raise IndexBusy(str(exc)) from exc
        try:
            for key in removed:
                writer.delete_by_term("key", key)
            for parent in removed_parents:
                writer.delete_by_term("parent", parent)
            for document in documents:
                writer.update_document(**_fields(document))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    @contextlib.contextmanager
    def rebuild(self, procs: int = 1):
        name, path = self._new_folder()
        ix = index.create_in(str(path), make_schema())
        if procs > 1:
            writer = ix.writer(procs=procs, multisegment=True, limitmb=128, batchsize=200)
        else:
            writer = ix.writer(limitmb=256)
        bulk = _Bulk(writer)
        try:
            yield bulk
        except BaseException:
            writer.cancel()
            shutil.rmtree(path, ignore_errors=True)
            raise
        writer.commit()
        with self._folder_lock():
            previous = self.current_name()
            self._switch_to(name)
            # Keep the index just replaced (a search may still be reading it); drop older ones.
            for old in self.root.glob("gen-*"):
                if old.name not in (name, previous):
                    shutil.rmtree(old, ignore_errors=True)

    # --- reading ---------------------------------------------------------------------------------

    def search(
        self, query: ParsedQuery, viewer: Viewer, types: list[str] | None, page: int, per_page: int
    ) -> RawPage:
        searcher = self._searcher()
        if searcher is None or query.is_empty:
            return RawPage(0, [])
        reader = searcher.reader()
        matched = Compiler(reader).query(query)
        if types:
            matched = wq.And([matched, wq.Or([wq.Term("type", t) for t in types])])
        mask = hidden_from(searcher, viewer)
        window = max(RERANK_WINDOW, page * per_page)
        timed = BudgetCollector(collectors.TopCollector(limit=window), mask, self.time_budget)
        searcher.search_with_collector(matched, timed)
        cut_short = timed.cut_short  # a very broad query: the best of what was scanned in time
        results = timed.results()
        scores = {docnum: score for score, docnum in results.top_n}
        # Items titled exactly as the query are looked up directly, so they lead even then.
        key = title_key("".join(query.ordered_words()))
        if key:
            candidates = [d for d in searcher.docs_for_query(wq.Term("title_key", key)) if d not in scores]
            for docnum in matching(matched, searcher, candidates):
                if not mask or docnum not in mask:
                    scores[docnum] = max(scores.values(), default=1.0)
        keys = reader.column_reader("title_key")
        ranked = sorted(
            ((score * title_bonus(keys[docnum], query), -docnum) for docnum, score in scores.items()),
            reverse=True,
        )
        exact = True
        if cut_short:
            total, exact = max(matched.estimate_size(reader), len(scores)), False
        elif results.scored_length() < window:
            total = results.scored_length()
        elif results.has_exact_length():  # the collector saw every match
            total = len(results)
        else:  # it skipped blocks that could not reach the top: count them, within a time budget
            total = count_matches(matched.matcher(searcher), mask)
            if total is None:
                total, exact = matched.estimate_size(reader), False
        hits = []
        for score, negated in ranked[(page - 1) * per_page : page * per_page]:
            stored = searcher.stored_fields(-negated)
            hits.append(
                RawHit(
                    type=stored["type"],
                    id=stored["doc_id"],
                    title=stored.get("title", ""),
                    url=stored.get("url", ""),
                    excerpt=stored.get("excerpt", ""),
                    score=score,
                )
            )
        return RawPage(total, hits, exact)

    def known_terms(self, words: list[str]) -> set[str]:
        searcher = self._searcher()
        if searcher is None:
            return set()
        reader = searcher.reader()
        return {w for w in words if (CONTENT, w) in reader}

    def suggest(self, word: str) -> list[str]:
        """Indexed words one edit from ``word`` sharing its first character (a wrong character
        typed later in the word: the usual Chinese input slip), most common first. Walking the
        words under each prefix is much cheaper than Whoosh's fuzzy term search on a large index."""
        searcher = self._searcher()
        if searcher is None or len(word) < 2:
            return []
        reader = searcher.reader()
        candidates: set[str] = set()
        for end in range(len(word) - 1, 0, -1):
            for term in words_with_prefix(reader, word[:end]):
                if term != word and one_edit_apart(term, word):
                    candidates.add(term)
        frequency = {c: reader.doc_frequency(CONTENT, c) for c in candidates}
        return sorted(candidates, key=lambda c: (-frequency[c], c))[:5]

    def counts(self) -> dict[str, int]:
        searcher = self._searcher()
        if searcher is None:
            return {}
        reader = searcher.reader()
        keys = reader.column_reader("key")
        counts: dict[str, int] = {}
        for docnum in reader.all_doc_ids():
            type_ = keys[docnum].partition(":")[0]
            counts[type_] = counts.get(type_, 0) + 1
        return counts

    def stamps(self, type_: str) -> dict[int, str]:
        searcher = self._searcher()
        if searcher is None:
            return {}
        reader = searcher.reader()
        keys, stamps = reader.column_reader("key"), reader.column_reader("stamp")
        prefix = f"{type_}:"
        found = {}
        for docnum in reader.all_doc_ids():
            key = keys[docnum]
            if key.startswith(prefix):
                found[int(key[len(prefix) :])] = stamps[docnum]
        return found

    def close(self) -> None:
        cached = getattr(self._local, "searcher", None)
        if cached is not None:
            cached[2].close()
            self._local.searcher = None
