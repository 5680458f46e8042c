"""User-written text: Markdown rendered with markdown-it-py and sanitised with nh3.

Every place that shows text a user wrote (articles, questions, answers, comments, notices, lesson
bodies) goes through :func:`render_markdown` or :func:`sanitize_html`; nothing else may mark user
text safe.
"""

import html
import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "abbr": {"title"},
}
#: Only these URL schemes survive; javascript:, data:, vbscript: and the like are dropped.
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(html: str) -> Markup:
    """Keep harmless formatting only: no scripts, event handlers, styles, SVG, or unsafe URLs."""
    cleaned = nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(cleaned)  # noqa: S704 -- cleaned by nh3 just above


def render_markdown(text: str) -> Markup:
    """Markdown → safe HTML. Raw HTML in the source is shown as text, then everything is sanitised."""
    return sanitize_html(_markdown.render(text or ""))


_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def plain_text(text: str, limit: int | None = None) -> str:
    """Markdown or HTML → plain text for snippets, search and notifications."""
    plain = html.unescape(_SPACE.sub(" ", _TAG.sub(" ", _markdown.render(text or ""))).strip())
    if limit is not None and len(plain) > limit:
        return plain[: limit - 1] + "…"
    return plain
