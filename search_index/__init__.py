"""Chinese full-text search across the domains' content (see DESIGN.md, "Search").

A domain makes its rows searchable by registering an adapter (this package imports no domain)::

    from search_index import Adapter, SearchDocument, Visibility, register

    register(Adapter(type="notice", label=_l("党务公开"), model=Notice, to_document=notice_document))

Committed changes then reach the index by themselves (:mod:`search_index.indexing`).
"""

from search_index.registry import Adapter, SearchDocument, Visibility, register

__all__ = ["Adapter", "SearchDocument", "Visibility", "register"]
