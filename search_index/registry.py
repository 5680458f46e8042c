"""Search documents and the adapters that make them.

The search package knows no domain's models: each domain registers an :class:`Adapter` saying
which model class holds its searchable rows and how one row becomes a :class:`SearchDocument`
(``app/kb/search.py``, ``app/qa/search.py``, ``app/portal/search.py``, ``courses/search.py``).
From then on, every committed change to such a row reaches the index by itself.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.extensions import db


class Visibility:
    """Who may find a document. Only ``PUBLIC`` and ``RESTRICTED`` documents are kept in the index;
    an adapter reporting any other state (a draft, a hidden question, an archived course) has its
    document removed, so such content can never be found, however exactly it is searched for."""

    #: Everyone signed in (within the document's branch scope).
    PUBLIC = "public"
    #: Only the document's ``roles`` (admins always) and its ``owner_id``.
    RESTRICTED = "restricted"
    DRAFT = "draft"
    HIDDEN = "hidden"
    ARCHIVED = "archived"

    INDEXED = frozenset({PUBLIC, RESTRICTED})


@dataclass
class SearchDocument:
    """One searchable item, as the index sees it."""

    type: str
    id: int
    title: str
    #: Plain text (Markdown already rendered to text by the adapter).
    body: str
    url: str
    updated_at: datetime | None = None
    tags: Sequence[str] = ()
    #: Materialised path of the branch whose subtree may see it (``/1/4/``); ``None``: everyone.
    scope: str | None = None
    visibility: str = Visibility.PUBLIC
    #: For ``RESTRICTED`` documents: the roles that may see it besides admins and the owner.
    roles: Sequence[str] = ()
    #: The user who wrote it (sees it even when it is restricted).
    owner_id: int | None = None
    #: ``type:id`` of the document it belongs to (a lesson's course): deleted along with it.
    parent: str | None = None

    @property
    def key(self) -> str:
        return document_key(self.type, self.id)

    @property
    def is_indexed(self) -> bool:
        return self.visibility in Visibility.INDEXED

    @property
    def stamp(self) -> str:
        return stamp_of(self.updated_at)


def document_key(type_: str, id_: int) -> str:
    return f"{type_}:{id_}"


def stamp_of(value: datetime | None) -> str:
    """How a row's last change is remembered in the index (compared by the reconcile pass)."""
    return value.isoformat() if value is not None else ""


def _default_load(model) -> Callable[[list[int]], Iterable[Any]]:
    def load(ids: list[int]) -> Iterable[Any]:
        return db.session.scalars(sa.select(model).where(model.id.in_(ids)))

    return load


@dataclass
class Adapter:
    """How one domain's rows become search documents."""

    #: Short name of the document type, used in URLs and the API (``kb``, ``question``, ``notice``).
    type: str
    #: What users call it (a lazy translated string).
    label: Any
    #: The model class whose rows are documents (its integer ``id`` is the document id).
    model: type
    #: Row → document, or ``None`` when the row is not searchable at all.
    to_document: Callable[[Any], SearchDocument | None]
    #: Rows by id for indexing; the default selects ``model`` by id (give one that eager-loads).
    load: Callable[[list[int]], Iterable[Any]] | None = None
    #: ``(id, last change)`` rows of every row, for the reconcile pass; default ``model.updated_at``.
    stamps: Callable[[], sa.Select] | None = None
    #: Other model classes whose flushed changes alter these documents: class → function of the
    #: changed instance giving ids of this type. It runs inside the flush: attributes only, no SQL.
    touches: dict[type, Callable[[Any], Iterable[int]]] = field(default_factory=dict)
    #: Other model classes whose changes alter these documents in a way only SQL can tell (a
    #: course → its lessons): class → function of their ids giving ids of this type. It runs in
    #: the indexing worker.
    follows: dict[type, Callable[[list[int]], Iterable[int]]] = field(default_factory=dict)
    #: Order of the type filter on the search page.
    order: int = 100

    def __post_init__(self):
        if self.load is None:
            self.load = _default_load(self.model)
        if self.stamps is None:
            model = self.model
            self.stamps = lambda: sa.select(model.id, model.updated_at)

    def documents(self, ids: Iterable[int]) -> tuple[list[SearchDocument], list[int]]:
        """The documents of ``ids`` to write, and the ids to remove (gone, or not searchable)."""
        ids = sorted(set(ids))
        rows = {row.id: row for row in self.load(ids)} if ids else {}
        documents, removed = [], []
        for id_ in ids:
            row = rows.get(id_)
            document = self.to_document(row) if row is not None else None
            if document is not None and document.is_indexed:
                documents.append(document)
            else:
                removed.append(id_)
        return documents, removed


_adapters: dict[str, Adapter] = {}


def register(adapter: Adapter) -> Adapter:
    """Make ``adapter``'s type searchable (idempotent: importing a module twice changes nothing)."""
    _adapters[adapter.type] = adapter
    from search_index import indexing

    indexing.watch(adapter)
    return adapter


def adapters() -> list[Adapter]:
    return sorted(_adapters.values(), key=lambda a: (a.order, a.type))


def get_adapter(type_: str) -> Adapter | None:
    return _adapters.get(type_)
