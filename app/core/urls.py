"""Ids and links: the ``int`` converter every route uses, reading an id a client sent, and the links
services put into notifications."""

from flask import current_app, has_request_context, url_for
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
