"""Celery tasks of the ``search`` queue. Run its worker with concurrency 1: it is the index's
single writer (``celery -A wsgi.celery worker -Q search --concurrency 1``)."""

import logging

from app.extensions import celery
from search_index import indexing
from search_index.backend import IndexBusy

logger = logging.getLogger(__name__)


@celery.task(name="search_index.apply_changes", bind=True, acks_late=True, max_retries=30)
def apply_changes_task(self, changes: list[list]) -> dict:
    """``changes``: ``[[type or source, id], …]`` noted at commit; reads the rows, writes the index."""
    try:
        return indexing.apply_changes(changes)
    except IndexBusy as exc:
        if self.request.is_eager:
            # In-process (tests, a development server): never make the user's request fail;
            # the reconcile pass writes what was missed.
            logger.warning("search: index busy, %d changes left to the reconcile pass", len(changes))
            return {"written": 0, "removed": 0, "busy": True}
        raise self.retry(exc=exc, countdown=2 + self.request.retries) from exc


@celery.task(name="search_index.reconcile", bind=True, acks_late=True, max_retries=3)
def reconcile_task(self) -> dict:
    """Periodic: repair any difference between the database and the index."""
    try:
        return indexing.reconcile()
    except IndexBusy as exc:
        raise self.retry(exc=exc, countdown=30) from exc


@celery.task(name="search_index.refresh_terms")
def refresh_terms_task() -> None:
    """Periodic, PostgreSQL backend only: recount each term's documents (spelling suggestions)."""
    from search_index.engine import get_backend

    refresh = getattr(get_backend(), "refresh_terms", None)
    if refresh is not None:
        refresh()
