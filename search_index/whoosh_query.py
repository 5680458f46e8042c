"""Asking the Whoosh index: parsed queries compiled to Whoosh queries, the title re-rank bonus,
matching and counting under a time budget, and the permission mask of a viewer.

The index itself (folders, writers, rebuilds, the search entry point) is
:mod:`search_index.whoosh_backend`'s.
"""

import logging
import re
import time

from whoosh import collectors
from whoosh import query as wq

from search_index.analysis import normalize
from search_index.backend import Viewer
from search_index.query import Clause, ParsedQuery

logger = logging.getLogger(__name__)

#: The field a query must match (title, tags and body together).
CONTENT = "content"
#: Extra weight of an item whose title is exactly the query, holds it as a phrase, or all its words.
EXACT_TITLE_BOOST, TITLE_PHRASE_BOOST, TITLE_WORDS_BOOST = 3.0, 1.5, 1.2
#: Time spent counting a large result set exactly before settling for an estimate ("about N").
COUNT_BUDGET_SECONDS = 0.015


_NOT_WORD = re.compile(r"[\W_]+")


def title_key(text: str) -> str:
    """A title (or the query's words) folded and run together, punctuation and spaces dropped."""
    return _NOT_WORD.sub("", normalize(text))[:200]


#: A lone character matches the words starting with it: at most this many, the most common.
PREFIX_WORDS = 8


def words_with_prefix(reader, prefix: str):
    for term in reader.expand_prefix(CONTENT, prefix):
        yield term.decode("utf-8") if isinstance(term, bytes) else term


class Compiler:
    """Clauses → Whoosh queries, looking at the index to keep them cheap: a word's parts are only
    tried when the word itself is not in the index; a lone character expands to its most common
    words only."""

    def __init__(self, reader):
        self.reader = reader

    def clause(self, clause: Clause) -> wq.Query:
        if clause.kind == "phrase":
            return wq.Phrase(CONTENT, clause.words)
        if clause.kind == "prefix":
            return self.prefix(clause.words[0])
        if clause.kind == "all":
            return wq.And([wq.Term(CONTENT, w) for w in clause.words])
        word = clause.words[0]
        if clause.parts and (CONTENT, word) not in self.reader:
            return wq.And([wq.Term(CONTENT, w) for w in clause.parts])
        return wq.Term(CONTENT, word)

    def prefix(self, char: str) -> wq.Query:
        words = list(words_with_prefix(self.reader, char))
        if len(words) > PREFIX_WORDS:
            words = sorted(words, key=lambda w: -self.reader.doc_frequency(CONTENT, w))[:PREFIX_WORDS]
        return wq.Or([wq.Term(CONTENT, w) for w in words]) if words else wq.NullQuery

    def query(self, query: ParsedQuery) -> wq.Query:
        groups = [wq.Or([self.clause(c) for c in group]) for group in query.groups]
        matched = groups[0] if len(groups) == 1 else wq.And(groups)
        if query.excluded:
            matched = wq.AndNot(matched, wq.Or([self.clause(c) for c in query.excluded]))
        return matched


def title_bonus(key: str, query: ParsedQuery) -> float:
    """How much more an item counts for its title (``key``: the title's words run together):
    exactly the query ×3, the query's words in a row ×1.5, all of them somewhere ×1.2. Applied
    to the best hits only: cheaper than making every match in the index test its title."""
    words = query.ordered_words()
    if not words:
        return 1.0
    joined = title_key("".join(words))
    if key == joined:
        return EXACT_TITLE_BOOST
    if joined in key:
        return TITLE_PHRASE_BOOST
    if all(w in key for w in words):
        return TITLE_WORDS_BOOST
    return 1.0


def count_matches(matcher, mask: set[int] | None) -> int | None:
    """Matching documents outside ``mask``, or ``None`` past :data:`COUNT_BUDGET_SECONDS`."""
    deadline = time.perf_counter() + COUNT_BUDGET_SECONDS
    count = 0
    for n, docnum in enumerate(matcher.all_ids()):
        if not mask or docnum not in mask:
            count += 1
        if n % 2048 == 2047 and time.perf_counter() > deadline:
            return None
    return count


class BudgetCollector(collectors.FilterCollector):
    """Leaves out the masked documents (permissions) and stops matching when the time budget is
    spent, keeping the best hits found so far (``cut_short`` tells)."""

    def __init__(self, child, mask: set[int] | None, budget: float):
        super().__init__(child, restrict=mask or None)
        self.budget = budget
        self.cut_short = False

    def prepare(self, top_searcher, q, context):
        super().prepare(top_searcher, q, context)
        self.deadline = time.perf_counter() + self.budget

    def collect_matches(self):
        if self.cut_short:
            return
        child, restrict, offset = self.child, self._restrict, self.offset
        for n, sub_docnum in enumerate(child.matches()):
            if restrict is None or offset + sub_docnum not in restrict:
                child.collect(sub_docnum)
            if n % 256 == 255 and time.perf_counter() > self.deadline:
                self.cut_short = True
                return


def matching(query: wq.Query, searcher, docnums: list[int]) -> list[int]:
    """Which of a few ``docnums`` match ``query`` (by skipping to each: no full scan)."""
    found = []
    if not docnums:
        return found
    matcher = query.matcher(searcher)
    for docnum in sorted(docnums):
        if not matcher.is_active():
            break
        if matcher.id() < docnum:
            matcher.skip_to(docnum)
        if matcher.is_active() and matcher.id() == docnum:
            found.append(docnum)
    return found


def hidden_from(searcher, viewer: Viewer) -> set[int] | None:
    """Document numbers ``viewer`` may not see (``None``: none, for admins).

    Built from the few restricted and branch-scoped documents only, and used as the search's
    mask: the matcher never yields them, so pages are full and totals exact. (Filtering by the
    documents allowed instead would mean materialising nearly the whole index per query.)
    """
    if viewer.is_admin:
        return None
    restricted = set(searcher.docs_for_query(wq.Term("visibility", "restricted")))
    if restricted:
        readers = [wq.Term("roles", r) for r in viewer.roles]
        if viewer.user_id is not None:
            readers.append(wq.Term("owner", str(viewer.user_id)))
        if readers:
            restricted -= set(searcher.docs_for_query(wq.Or(readers)))
    scoped = set(searcher.docs_for_query(wq.Term("scoped", "1")))
    if scoped:
        reach: list[wq.Query] = [wq.Term("scope", s) for s in viewer.branch_scopes]
        if viewer.manage_prefix:
            reach.append(wq.Prefix("scope", viewer.manage_prefix))
        if reach:
            scoped -= set(searcher.docs_for_query(wq.Or(reach)))
    return restricted | scoped
