"""The configured search backend of this process (one per index folder, reused across requests)."""

import threading
from pathlib import Path

from flask import current_app

from search_index import analysis
from search_index.backend import SearchBackend
from search_index.whoosh_backend import WhooshBackend

_backends: dict[str, SearchBackend] = {}
_lock = threading.Lock()


def get_backend() -> SearchBackend:
    root = str(current_app.config["SEARCH_INDEX_DIR"])
    backend = _backends.get(root)
    if backend is None:
        with _lock:
            backend = _backends.get(root)
            if backend is None:
                analysis.configure(Path(root) / "jieba")
                backend = WhooshBackend(
                    root,
                    lock_timeout=current_app.config["SEARCH_LOCK_TIMEOUT_SECONDS"],
                    time_budget=current_app.config["SEARCH_TIME_BUDGET_MS"] / 1000,
                )
                _backends[root] = backend
    return backend
