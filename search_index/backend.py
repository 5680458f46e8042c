"""The small interface between the search package and a search engine.

:class:`search_index.whoosh_backend.WhooshBackend` implements it on one machine. A distributed
engine (OpenSearch or Elasticsearch with a Chinese analyzer) would be a second implementation of
the same methods; nothing above this interface (adapters, the indexing queue, the page, the API)
would change. See the README section "Search at scale".
"""

from abc import ABC, abstractmethod
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from search_index.query import ParsedQuery
from search_index.registry import SearchDocument


class SearchUnavailable(Exception):
    """The index cannot be read or written right now (missing, locked, broken)."""


class IndexBusy(SearchUnavailable):
    """Another writer holds the index; the change is retried later (never shown to a user)."""


@dataclass(frozen=True)
class Viewer:
    """Who is searching, reduced to what the permission filter needs."""

    user_id: int | None
    roles: frozenset[str]
    is_admin: bool
    #: Materialised path of the viewer's own branch (``/1/4/9/``), or ``None``.
    branch_path: str | None
    #: The subtree they manage: ``""`` everything (admins), a coordinator's branch path, or ``None``.
    manage_prefix: str | None

    @property
    def branch_scopes(self) -> list[str]:
        """The paths of the viewer's branch and every branch above it (notices addressed there
        reach them)."""
        if not self.branch_path:
            return []
        parts = [p for p in self.branch_path.strip("/").split("/") if p]
        return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


@dataclass
class RawHit:
    type: str
    id: int
    title: str
    url: str
    #: The stored text the snippet is cut from.
    excerpt: str
    score: float


@dataclass
class RawPage:
    total: int
    hits: list[RawHit]
    #: False when ``total`` is an estimate (an upper bound) of a very large result set.
    total_is_exact: bool = True


class BulkWriter(ABC):
    @abstractmethod
    def add(self, document: SearchDocument) -> None: ...


class SearchBackend(ABC):
    """A search index holding :class:`SearchDocument` objects."""

    @abstractmethod
    def write(
        self, documents: Iterable[SearchDocument], removed: Iterable[str], removed_parents: Iterable[str] = ()
    ) -> None:
        """Add or replace ``documents`` and delete the documents with keys ``removed`` and those
        whose parent is in ``removed_parents``, in one commit. Raises :class:`IndexBusy` when
        another writer holds the index."""

    @abstractmethod
    def search(
        self, query: ParsedQuery, viewer: Viewer, types: list[str] | None, page: int, per_page: int
    ) -> RawPage:
        """One page of the documents ``viewer`` may see that match ``query``, best first.
        Permissions are part of the query: a page is never short because of them."""

    @abstractmethod
    def known_terms(self, words: list[str]) -> set[str]:
        """Which of ``words`` occur anywhere in the index."""

    @abstractmethod
    def suggest(self, word: str) -> list[str]:
        """Indexed words close to ``word`` (one edit away), most frequent first."""

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Documents in the index, by type."""

    @abstractmethod
    def stamps(self, type_: str) -> dict[int, str]:
        """``id → stamp`` of every document of ``type_`` (for the reconcile pass)."""

    @abstractmethod
    def rebuild(self, procs: int = 1) -> AbstractContextManager[BulkWriter]:
        """A writer filling a brand-new index that replaces the live one when the block ends
        without an exception (searches keep using the old one until then)."""
