"""Template globals and filters: local time, labels, the navigation."""

from datetime import datetime

from flask import request, url_for
from flask_babel import get_locale

from app.core.clock import LOCAL_TZ, utcnow


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show an aware UTC datetime in Asia/Shanghai."""
    if value is None:
        return ""
    return value.astimezone(LOCAL_TZ).strftime(fmt)


def url_for_page(page: int) -> str:
    """The current URL with ``page`` replaced, keeping the other query arguments (filters)."""
    args = request.args.to_dict()
    args["page"] = page
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def register(app) -> None:
    app.add_template_filter(localtime)
    app.add_template_global(url_for_page)
    app.add_template_global(get_locale)
    app.add_template_global(utcnow)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
