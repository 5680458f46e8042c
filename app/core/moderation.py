"""The moderation queue's registry: kinds of content reported by members and judged by admins.

Q&A owns the queue page (``/qa/moderation``) and its three kinds (questions, answers, comments). Any
other domain with reportable content registers a :class:`ModeratedKind` from its ``init_app``; the
queue lists its rows beside Q&A's and routes hide / restore / dismiss back to it. The queue never
imports those domains, and they keep their own tables (reports included).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class QueueRow:
    """One item as the queue shows it: reported (open reports) or hidden."""

    kind: str
    item_id: int
    #: Where the item lives (e.g. the work's title) and a link to it.
    context: str
    url: str
    text: str
    is_hidden: bool
    #: ``(reporter's name, reason, reported at)``, oldest first; empty for an item only hidden.
    reports: list[tuple[str, str, datetime]] = field(default_factory=list)
    #: Audit entries about the item, oldest first.
    trail: list = field(default_factory=list)


@dataclass(frozen=True)
class ModeratedKind:
    #: URL-safe and unique across the site (Q&A's own are ``question``, ``answer``, ``comment``).
    name: str
    #: What the queue calls it (a lazy string).
    label: object
    #: ``rows(limit)`` → reported items first, then hidden ones; a fixed number of queries.
    rows: Callable[[int], list[QueueRow]]
    #: ``load(item_id)`` → the item, or raise NotFound.
    load: Callable[[int], object]
    #: ``hide(item, actor, reason)``, ``restore(item, actor)``, ``dismiss(item, actor)``: each
    #: checks the actor, changes, flushes and audits (the caller commits); refusals are DomainErrors.
    hide: Callable
    restore: Callable
    dismiss: Callable
    #: ``open_count()`` → reported items waiting.
    open_count: Callable[[], int]


_kinds: dict[str, ModeratedKind] = {}


def register_moderated_kind(kind: ModeratedKind) -> ModeratedKind:
    """Called from a domain's ``init_app`` (idempotent)."""
    _kinds[kind.name] = kind
    return kind


def moderated_kinds() -> list[ModeratedKind]:
    return sorted(_kinds.values(), key=lambda k: k.name)


def moderated_kind(name: str) -> ModeratedKind | None:
    return _kinds.get(name)
