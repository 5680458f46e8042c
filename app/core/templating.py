"""Template globals and filters: local time, labels, the navigation."""

import re
from datetime import datetime

from flask import request, url_for
from flask_babel import get_locale

from app.core.clock import LOCAL_TZ, utcnow
from app.core.jsi18n import js_catalog
from app.core.urls import absolute_url

#: Names of query arguments a page's own links pass on (its filters, its search box): what a form
#: could have sent. ``url_for`` reads ``_external``, ``_method``, ``_anchor`` and ``_scheme`` as its
#: own options, and an argument named like one of the route's (``?lesson_id=``) clashes with the
#: path's value: either was a 500 once a link passed the whole query string on.
_PASSED_ON = re.compile(r"[a-z][a-z0-9_]{0,31}\Z")
#: No page has more filters than this; a query string of thousands of arguments is not copied.
_MAX_PASSED_ON = 20


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show an aware UTC datetime in Asia/Shanghai."""
    if value is None:
        return ""
    return value.astimezone(LOCAL_TZ).strftime(fmt)


def query_args(**overrides) -> dict:
    """The current query arguments that may be handed to ``url_for`` to build a link to the same
    list (filters kept), with ``overrides`` applied: only plain names, none of ``url_for``'s options
    and none of the route's own arguments."""
    taken = request.url_rule.arguments if request.url_rule is not None else set()
    args = {}
    for name, value in request.args.items():
        if len(args) >= _MAX_PASSED_ON:
            break
        if _PASSED_ON.match(name) and name not in taken:
            args[name] = value
    args.update(overrides)
    return args


def url_for_page(page: int) -> str:
    """The current URL with ``page`` replaced, keeping the other query arguments (filters)."""
    return url_for(request.endpoint, **(request.view_args or {}), **query_args(page=page))


def register(app) -> None:
    app.add_template_filter(localtime)
    app.add_template_global(url_for_page)
    app.add_template_global(query_args)
    app.add_template_global(get_locale)
    app.add_template_global(js_catalog)
    app.add_template_global(utcnow)
    app.add_template_global(absolute_url)  # links that leave the page (a duel's invitation)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
