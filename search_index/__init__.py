"""Chinese full-text search across the domains' content (see DESIGN.md, "Search").

A domain makes its rows searchable by registering an adapter (this package imports no domain)::

    from search_index import Adapter, SearchDocument, Visibility, register

    register(Adapter(type="notice", label=_l("党务公开"), model=Notice, to_document=notice_document))

Committed changes then reach the index by themselves (:mod:`search_index.indexing`).
"""

from search_index.registry import Adapter, SearchDocument, Visibility, register

__all__ = ["Adapter", "SearchDocument", "Visibility", "init_app", "register"]


def init_app(app) -> None:
    from app.core.tasks import schedule
    from search_index import tasks  # noqa: F401 -- the tasks
    from search_index.cli import search_cli
    from search_index.engine import backend_name, check_config
    from search_index.views import bp

    check_config(app)
    app.register_blueprint(bp)
    app.cli.add_command(search_cli)
    # Index vs database: repairs changes whose message was lost (on the search queue, whose one
    # worker is the index's only writer).
    schedule(app, "search-reconcile", "search_index.reconcile", 60.0 * app.config["SEARCH_RECONCILE_MINUTES"])
    if backend_name(app.config) == "postgresql":
        every = 60.0 * app.config["SEARCH_RECONCILE_MINUTES"]
        schedule(app, "search-refresh-terms", "search_index.refresh_terms", every)
