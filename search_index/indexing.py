"""Keeping the index in step with the database.

1. **Collect** (every process): SQLAlchemy session events note the rows of registered model
   classes that a flush inserted, changed or deleted, per transaction. A savepoint that rolls back
   forgets its notes; one that is released hands them to its parent; when the outermost
   transaction commits, the notes (``[type, id]`` pairs, never objects) are sent to the
   ``search`` queue; when it rolls back they are dropped. No domain has to remember to call us.
2. **Apply** (the single writer): the Celery worker of the ``search`` queue, run with concurrency
   1, reads the rows' *current* state through the adapters and writes or removes their
   documents. Reading the database rather than trusting the message makes a late, repeated or
   reordered message harmless.
3. **Reconcile** (hourly, and after a rebuild): compare every row's last change with the stamp
   stored in the index and fix what differs, so a message lost while the broker was down is
   repaired without anybody noticing.
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from app.extensions import celery, db
from search_index.backend import IndexBusy
from search_index.engine import get_backend
from search_index.registry import Adapter, adapters, document_key, stamp_of

logger = logging.getLogger(__name__)

#: The Celery queue of the single index writer.
SEARCH_QUEUE = "search"
#: Rows read and written per batch.
BATCH = 500

_PENDING = "search_index.pending"
_COMMITTED = "search_index.committed"

#: model class → [(source, function(instance) → ids)]: what a flushed instance changes.
_handlers: dict[type, dict[tuple[str, str], Callable]] = defaultdict(dict)
_resolved: dict[type, list[tuple[str, Callable]]] = {}
_listening = False


def _follow_source(cls: type) -> str:
    return f"~{cls.__tablename__}"


def watch(adapter: Adapter) -> None:
    """Start noting the changes that concern ``adapter`` (called by :func:`registry.register`)."""
    _handlers[adapter.model][(adapter.type, "self")] = lambda obj: [obj.id]
    for cls, function in adapter.touches.items():
        _handlers[cls][(adapter.type, "touch")] = function
    for cls in adapter.follows:
        _handlers[cls][(_follow_source(cls), "follow")] = lambda obj: [obj.id]
    _resolved.clear()
    _listen()


def _handlers_for(cls: type) -> list[tuple[str, Callable]]:
    found = _resolved.get(cls)
    if found is None:
        found = [
            (source, function)
            for klass in cls.__mro__
            for (source, _), function in _handlers.get(klass, {}).items()
        ]
        _resolved[cls] = found
    return found


def _current(session: Session):
    return session.get_nested_transaction() or session.get_transaction()


def _after_flush(session: Session, _context) -> None:
    noted = set()
    changed = [*session.new, *session.deleted]
    # Dirty objects of searchable classes with a real change (not just an attribute set again).
    changed += [obj for obj in session.dirty if _handlers_for(type(obj)) and session.is_modified(obj)]
    for obj in changed:
        for source, function in _handlers_for(type(obj)):
            try:
                noted.update((source, int(i)) for i in function(obj) if i is not None)
            except Exception:  # an adapter's bug must never break the domain's flush
                logger.exception("search: could not note a change of %r", obj)
    if noted:
        transaction = _current(session)
        session.info.setdefault(_PENDING, {}).setdefault(transaction, set()).update(noted)


def _after_commit(session: Session) -> None:
    # Fired for released savepoints too; _after_transaction_end tells the two apart.
    session.info[_COMMITTED] = True


def _after_transaction_end(session: Session, transaction) -> None:
    if not (transaction.nested or transaction.parent is None):
        return  # a flush's internal subtransaction
    committed = session.info.pop(_COMMITTED, False)
    pending = session.info.get(_PENDING)
    if not pending:
        return
    noted = pending.pop(transaction, None)
    if not noted or not committed:
        return
    if transaction.parent is not None:
        parent = transaction.parent
        while parent.parent is not None and not parent.nested:
            parent = parent.parent
        pending.setdefault(parent, set()).update(noted)
    else:
        enqueue(noted)


def _listen() -> None:
    global _listening
    if _listening:
        return
    sa.event.listen(Session, "after_flush", _after_flush)
    sa.event.listen(Session, "after_commit", _after_commit)
    sa.event.listen(Session, "after_transaction_end", _after_transaction_end)
    _listening = True


def enqueue(changes: Iterable[tuple[str, int]]) -> None:
    """Send committed changes to the index writer. Never raises: a failure here is logged and
    repaired by the next reconcile pass, the user's commit has already happened."""
    from search_index.tasks import apply_changes_task

    payload = sorted([source, id_] for source, id_ in changes)
    try:
        if celery.conf.task_always_eager and has_app_context():
            # Run in-process (tests, a development server) in a context of its own: the task then
            # reads with its own session, not the one that is just ending its transaction.
            with current_app._get_current_object().app_context():
                try:
                    apply_changes_task.apply_async(args=[payload], queue=SEARCH_QUEUE)
                finally:
                    db.session.remove()
        else:
            apply_changes_task.apply_async(args=[payload], queue=SEARCH_QUEUE)
    except Exception:
        logger.exception("search: could not queue %d index changes (the reconcile pass will)", len(payload))


# --- the writer's side ---------------------------------------------------------------------------


def _chunks(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _expand(changes: Iterable[Iterable]) -> dict[str, set[int]]:
    """``[source, id]`` pairs → ids by document type (following courses to their lessons, …)."""
    by_source: dict[str, set[int]] = defaultdict(set)
    for source, id_ in changes:
        by_source[str(source)].add(int(id_))
    by_type: dict[str, set[int]] = defaultdict(set)
    for adapter in adapters():
        by_type[adapter.type].update(by_source.get(adapter.type, ()))
        for cls, function in adapter.follows.items():
            followed = by_source.get(_follow_source(cls))
            if followed:
                by_type[adapter.type].update(int(i) for i in function(sorted(followed)))
    return {t: ids for t, ids in by_type.items() if ids}


def refresh(by_type: dict[str, Iterable[int]]) -> dict[str, list[str]]:
    """Write the current state of the given rows to the index; returns the keys written and
    removed. Raises :class:`IndexBusy` if another writer holds the index."""
    documents, removed = [], []
    for adapter in adapters():
        ids = sorted(set(by_type.get(adapter.type, ())))
        for chunk in _chunks(ids):
            written, gone = adapter.documents(chunk)
            documents.extend(written)
            removed.extend(document_key(adapter.type, i) for i in gone)
    # A removed document takes its children with it (a course's lessons).
    get_backend().write(documents, removed, removed_parents=removed)
    return {"written": [d.key for d in documents], "removed": removed}


def apply_changes(changes: Iterable[Iterable]) -> dict[str, int]:
    """The indexing task's work: bring the documents of the changed rows up to date."""
    done = refresh(_expand(changes))
    _end_reading()
    return {"written": len(done["written"]), "removed": len(done["removed"])}


def _end_reading() -> None:
    """End the session's (read-only) transaction. With the PostgreSQL backend in a test, whose
    one connection nests every transaction in savepoints, the index's writes sit inside this
    session's savepoint: committing keeps them where a rollback would drop them."""
    db.session.commit()


def reconcile() -> dict[str, int]:
    """Repair every difference between the database and the index (missed or lost messages)."""
    backend = get_backend()
    totals = {"written": 0, "removed": 0}
    for adapter in adapters():
        in_db = {row[0]: stamp_of(row[1]) for row in db.session.execute(adapter.stamps())}
        in_index = backend.stamps(adapter.type)
        stale = sorted(i for i, stamp in in_db.items() if in_index.get(i) != stamp)
        orphans = [document_key(adapter.type, i) for i in in_index if i not in in_db]
        if orphans:
            backend.write([], orphans, removed_parents=orphans)
            totals["removed"] += len(orphans)
        for chunk in _chunks(stale):
            done = refresh({adapter.type: chunk})
            totals["written"] += len(done["written"])
            # Rows that are not searchable (drafts) come back as removed on every pass: count
            # only the documents that were really in the index.
            indexed = {document_key(adapter.type, i) for i in chunk if i in in_index}
            totals["removed"] += len(indexed.intersection(done["removed"]))
    _end_reading()
    return totals


def searchable_counts() -> dict[str, int]:
    """Rows per type in the database (searchable or not), for the status command."""
    return {
        adapter.type: db.session.scalar(sa.select(sa.func.count()).select_from(adapter.model)) or 0
        for adapter in adapters()
    }


def rebuild(procs: int = 1, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Build a complete new index from the database, switch to it, then reconcile the changes
    made while it was being built."""
    backend = get_backend()
    written: dict[str, int] = {}
    with backend.rebuild(procs=procs) as bulk:
        for adapter in adapters():
            ids = list(db.session.scalars(sa.select(adapter.model.id).order_by(adapter.model.id)))
            count = 0
            for chunk in _chunks(ids):
                documents, _ = adapter.documents(chunk)
                for document in documents:
                    bulk.add(document)
                count += len(documents)  # (the identity map holds rows weakly: memory stays flat)
                if progress is not None:
                    progress(len(chunk))
            written[adapter.type] = count
    reconcile()
    return written


__all__ = [
    "SEARCH_QUEUE",
    "IndexBusy",
    "apply_changes",
    "enqueue",
    "rebuild",
    "reconcile",
    "refresh",
    "watch",
]
