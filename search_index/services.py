"""Searching: what the /search page and ``GET /api/v1/search`` call."""

import logging
import math
from dataclasses import dataclass, field

from flask import current_app
from markupsafe import Markup

from search_index import snippets
from search_index.backend import Viewer
from search_index.engine import get_backend
from search_index.query import MAX_QUERY_CHARS, ParsedQuery, parse
from search_index.registry import adapters, get_adapter

logger = logging.getLogger(__name__)

#: The deepest page served (a crawler paging to 10,000 would only burn CPU).
MAX_PAGE = 50
SNIPPET_CHARS = 120


@dataclass
class Result:
    type: str
    id: int
    title: Markup
    url: str
    snippet: Markup
    #: What users call the type (a lazy translated string, rendered by the page).
    type_label: object
    score: float

    def as_json(self) -> dict:
        return {
            "type": self.type,
            "id": self.id,
            "title": str(self.title),
            "url": self.url,
            "snippet": str(self.snippet),
        }


@dataclass
class SearchPage:
    query: str
    type: str | None
    page: int
    per_page: int
    total: int = 0
    #: False when ``total`` is an estimate (a very large result set, shown as "about N").
    total_is_exact: bool = True
    results: list[Result] = field(default_factory=list)
    #: A corrected query that finds something, when this one found nothing.
    suggestion: str | None = None
    #: The query was cut to the length limit.
    truncated: bool = False
    #: Set when the index could not be read: the page says so instead of failing.
    unavailable: bool = False

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, max(1, math.ceil(self.total / self.per_page)))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(self, left_edge=1, left_current=2, right_current=3, right_edge=1):
        """The page numbers to show, ``None`` for a gap (the same as Flask-SQLAlchemy's)."""
        last = 0
        for number in range(1, self.pages + 1):
            if (
                number <= left_edge
                or self.page - left_current - 1 < number < self.page + right_current
                or number > self.pages - right_edge
            ):
                if last + 1 != number:
                    yield None
                yield number
                last = number

    def as_json(self) -> dict:
        return {
            "total": self.total,
            "total_is_exact": self.total_is_exact,
            "page": self.page,
            "per_page": self.per_page,
            "pages": self.pages,
            "suggestion": self.suggestion,
            "truncated": self.truncated,
            "results": [r.as_json() for r in self.results],
        }


def viewer_for(user, manage_prefix: str | None) -> Viewer:
    """``user`` as the permission filter sees them; ``manage_prefix`` is the org domain's
    ``scope_path(user)`` (passed in: this package reads no domain's rules)."""
    branch = getattr(user, "branch", None)
    return Viewer(
        user_id=user.id,
        roles=frozenset(str(r) for r in user.roles),
        is_admin=bool(user.is_admin),
        branch_path=branch.path if branch is not None else None,
        manage_prefix=manage_prefix,
    )


def type_choices() -> list[tuple[str, object]]:
    """``(type, label)`` of every searchable type; labels are lazy (rendered in a request)."""
    return [(a.type, a.label) for a in adapters()]


def clamp_page(value) -> int:
    try:
        page = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(page, 1), MAX_PAGE)


def _suggest(parsed: ParsedQuery, viewer: Viewer, types: list[str] | None) -> str | None:
    """A spelling that finds something: each word missing from the index replaced by the most
    frequent indexed word one edit away, kept only if the corrected search finds results that
    ``viewer`` may see (so a suggestion never reveals a word of a document they cannot read)."""
    backend = get_backend()
    words = parsed.terms()
    missing = [w for w in words if w not in backend.known_terms(words)]
    if not missing:
        return None
    replacements = {}
    for word in missing:
        candidates = backend.suggest(word)
        if candidates:
            replacements[word] = candidates[0]
    if not replacements:
        return None
    corrected = " ".join(replacements.get(w, w) for w in words)
    check = parse(corrected)
    if check.is_empty or backend.search(check, viewer, types, 1, 1).total == 0:
        return None
    return corrected


def search(
    viewer: Viewer, text: str | None, type_: str | None = None, page: int = 1, per_page: int | None = None
):
    """One page of results for ``viewer``. Never raises for anything a user can type."""
    per_page = per_page or current_app.config["SEARCH_PER_PAGE"]
    text = (text or "").strip()
    type_ = type_ if type_ and get_adapter(type_) is not None else None
    result = SearchPage(query=text[:MAX_QUERY_CHARS], type=type_, page=clamp_page(page), per_page=per_page)
    parsed = parse(text)
    result.truncated = parsed.truncated
    if parsed.is_empty:
        return result
    types = [type_] if type_ else None
    try:
        raw = get_backend().search(parsed, viewer, types, result.page, per_page)
        result.total, result.total_is_exact = raw.total, raw.total_is_exact
        words = parsed.highlight_words()
        for hit in raw.hits:
            adapter = get_adapter(hit.type)
            result.results.append(
                Result(
                    type=hit.type,
                    id=hit.id,
                    title=snippets.highlight(hit.title, words, width=None),
                    url=hit.url,
                    snippet=snippets.highlight(hit.excerpt, words, width=SNIPPET_CHARS),
                    type_label=adapter.label if adapter else hit.type,
                    score=hit.score,
                )
            )
        if result.total == 0:
            result.suggestion = _suggest(parsed, viewer, types)
    except Exception:  # a broken or missing index file: the page says so, never a 500
        logger.exception("search: the index could not answer %r", text)
        result.unavailable = True
    return result
