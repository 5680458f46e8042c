"""Ids and links: the ``int`` converter every route uses, reading an id a client sent, the links
services put into notifications, and the absolute links that leave the request (a QR code, an API
``url``, an xAPI activity id): one way to build each."""

from flask import current_app, has_request_context, request, url_for
from werkzeug.routing import IntegerConverter

#: The largest integer SQLite stores (and a PostgreSQL ``bigint``): no row has a larger id.
#: The largest id an ``INTEGER`` primary key holds on PostgreSQL (int4): a larger one in a query
#: failed there with "integer out of range" (a 500 Schemathesis found), so none passes the guards.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: a number larger than any database id is read as 0, an id no row
    has (404 from the view's loader), instead of reaching a query that SQLite refuses with an
    OverflowError (a 500). It is not refused by the converter: Werkzeug then answered 405 to
    ``PATCH /api/v1/articles/<huge>`` (the GET rule's pattern had matched) where ``/articles/0``
    answers 404. Digits are ASCII, as :func:`id_from` reads them: Werkzeug's ``\\d`` also matched
    ``٣`` or ``３``, which ``int()`` reads as 3, so a page had a second address."""

    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if number <= MAX_ID else 0


def id_from(value) -> int | None:
    """An id as a client sends it (JSON, a form, a spreadsheet cell): a whole number, or a string of
    ASCII digits. Anything else (1.5, true, Infinity, "²", a number no database holds) is ``None``,
    never a rounded guess and never an exception."""
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit() and len(value) <= len(str(MAX_ID))):
            return None
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        return None
    return value


def site_path(endpoint: str, **values) -> str:
    """The site path of ``endpoint`` (``/qa/12``): ``url_for`` in a request; the app's URL map
    otherwise (a Celery task, the CLI, a test calling a service), where there is no host to know."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind(
        "localhost", script_name=current_app.config.get("APPLICATION_ROOT", "/")
    )
    return adapter.build(endpoint, values)


#: The site's root when neither SITE_URL nor a request says where it is (a worker, the CLI): the
#: address the development server listens on, as XAPI_SITE_URL's default was.
LOCAL_SITE_URL = "http://localhost:5000/"


def configured_site_url(config=None) -> str:
    """SITE_URL (or, when it is unset, its deprecated alias XAPI_SITE_URL) ending in one ``/``;
    ``""`` when neither is set."""
    config = current_app.config if config is None else config
    url = (config.get("SITE_URL") or config.get("XAPI_SITE_URL") or "").strip()
    return url.rstrip("/") + "/" if url else ""


def site_url() -> str:
    """The root every absolute link starts with, ending in ``/``: SITE_URL when it is set (behind a
    proxy or an intranet gateway the request's host is not the address people use); otherwise the
    root the request came to, as ``url_for(_external=True)`` builds it; outside a request
    :data:`LOCAL_SITE_URL`."""
    if configured := configured_site_url():
        return configured
    if has_request_context():
        return request.url_root
    return LOCAL_SITE_URL


def _app_path(endpoint: str, values: dict) -> str:
    """The path of ``endpoint`` below the application's root (no script root: the site URL has it)."""
    return current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)


def absolute_url_at(root: str, endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` below ``root`` (a :func:`site_url` taken earlier, e.g. in the
    request that queued a background job)."""
    return root.rstrip("/") + _app_path(endpoint, values)


def absolute_url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` for links that leave the request (QR codes, verification
    links on paper, API ``url`` fields): below SITE_URL when it is set, else as the request came."""
    return absolute_url_at(site_url(), endpoint, **values)


def absolute(path: str | None) -> str | None:
    """A site path as ``url_for`` gave it in this request (or an already absolute URL) made
    absolute the way :func:`absolute_url` is."""
    if not path or "://" in path:
        return path
    script_root = request.script_root if has_request_context() else ""
    if script_root and path.startswith(script_root + "/"):
        path = path[len(script_root) :]
    return site_url().rstrip("/") + "/" + path.lstrip("/")
