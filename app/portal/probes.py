"""Probes for a load balancer or an orchestrator, answered without login:

- ``GET /healthz``: the process answers (liveness): nothing is checked, so a slow database never
  gets a healthy process restarted.
- ``GET /readyz``: what a request needs is reachable (readiness): the database, the Celery broker,
  the media store and the search index. 200 when all are; 503 naming only which are not (no
  addresses, versions or errors: the probe is public).

Checks are a registry, like the admin's health checks: a domain whose store moves elsewhere (media
on object storage, search in PostgreSQL) registers its own check under the same name from its
``init_app``. A check returns nothing when ready and raises when not; it must answer within a
second or two.
"""

import logging
import os
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from app.extensions import db

logger = logging.getLogger(__name__)

bp = Blueprint("probes", __name__)

_checks: dict[str, Callable[[], None]] = {}


def register_readiness_check(name: str, check: Callable[[], None]) -> None:
    """Add (or replace, by name) a readiness check."""
    _checks[name] = check


def not_ready() -> list[str]:
    """The names of the checks that fail, in registration order."""
    failed = []
    for name, check in _checks.items():
        try:
            check()
        except Exception:
            logger.warning("readiness check %s failed", name, exc_info=True)
            failed.append(name)
    return failed


def database_ready() -> None:
    db.session.execute(sa.text("SELECT 1"))
    db.session.rollback()


def broker_ready() -> None:
    from kombu import Connection

    with Connection(current_app.config["CELERY_BROKER_URL"], connect_timeout=1) as connection:
        connection.ensure_connection(max_retries=1, timeout=1)


def _writable_folder(setting: str) -> None:
    """The folder, or (before its first use creates it) the nearest folder above it, is writable."""
    folder = Path(current_app.config[setting]).resolve()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise OSError(f"{setting} is not a writable folder")


def media_ready() -> None:
    _writable_folder("MEDIA_ROOT")


def search_ready() -> None:
    _writable_folder("SEARCH_INDEX_DIR")


def register_builtin_checks() -> None:
    register_readiness_check("database", database_ready)
    register_readiness_check("broker", broker_ready)
    register_readiness_check("media", media_ready)
    register_readiness_check("search", search_ready)


def _no_store(response):
    response.cache_control.no_store = True
    return response


@bp.get("/healthz")
def healthz():
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
def readyz():
    failed = not_ready()
    if failed:
        return _no_store(jsonify(status="unavailable", failed=failed)), 503
    return _no_store(jsonify(status="ready"))
