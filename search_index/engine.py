"""The configured search backend of this process, reused across requests.

``SEARCH_BACKEND`` chooses it: ``"whoosh"`` (the default: index files under ``SEARCH_INDEX_DIR``,
one writer, one machine) or ``"postgresql"`` (tables in the application's PostgreSQL database:
any number of web processes and indexing workers, on any machine; see README "Search at scale").
"""

import threading
from pathlib import Path

from flask import current_app

from search_index import analysis
from search_index.backend import SearchBackend

BACKENDS = ("whoosh", "postgresql")

_backends: dict[tuple[str, str], SearchBackend] = {}
_lock = threading.Lock()


def backend_name(config) -> str:
    return str(config.get("SEARCH_BACKEND") or "whoosh").lower()


def check_config(app) -> None:
    """Refuse to start with a backend that cannot work (an unknown name, or PostgreSQL search on
    another database)."""
    name = backend_name(app.config)
    if name not in BACKENDS:
        raise RuntimeError(f"SEARCH_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}")
    url = str(app.config.get("SQLALCHEMY_DATABASE_URI") or "")
    if name == "postgresql" and not url.startswith("postgresql"):
        raise RuntimeError("SEARCH_BACKEND=postgresql needs DATABASE_URL to be a PostgreSQL database")


def _make(name: str, root: str) -> SearchBackend:
    budget = current_app.config["SEARCH_TIME_BUDGET_MS"] / 1000
    if name == "postgresql":
        from search_index.pg_backend import PgSearchBackend

        return PgSearchBackend(time_budget=budget)
    from search_index.whoosh_backend import WhooshBackend

    return WhooshBackend(
        root, lock_timeout=current_app.config["SEARCH_LOCK_TIMEOUT_SECONDS"], time_budget=budget
    )


def get_backend() -> SearchBackend:
    name = backend_name(current_app.config)
    root = str(current_app.config["SEARCH_INDEX_DIR"])
    backend = _backends.get((name, root))
    if backend is None:
        with _lock:
            backend = _backends.get((name, root))
            if backend is None:
                analysis.configure(Path(root) / "jieba")
                backend = _make(name, root)
                _backends[(name, root)] = backend
    return backend
