"""Input no database can take is refused where it enters, before any view or query sees it."""

from flask import Request, abort, request
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict

from app.core.urls import MAX_ID


def _database_int(value) -> int:
    number = int(value)
    if not -MAX_ID <= number <= MAX_ID:
        raise ValueError("no database column holds this number")
    return number


class Parameters(ImmutableMultiDict):
    """``request.args`` and ``request.form``: ``.get(name, type=int)`` treats a number no database
    holds (``?tag=99999999999999999999``) like any other unreadable number, and returns the default.
    Otherwise it reached a query that SQLite refuses with an OverflowError: a 500."""

    def get(self, key, default=None, type=None):
        return super().get(key, default, _database_int if type is int else type)


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _pairs_hold_nul(pairs) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in pairs)


def _refuse_nul() -> None:
    abort(400, description=_("提交的内容含有无效字符（NUL），请删除后重新提交。"))


#: Deepest nesting of arrays and objects a JSON body may have: no request of ours needs more than a
#: handful. Python's parser and every walk over the parsed value recurse once per level, so a body of
#: a few hundred ``[`` raised RecursionError: a 500, and the deeper the costlier.
MAX_JSON_DEPTH = 32
#: Largest JSON body accepted: the biggest we take (an article's Markdown) is far smaller.
MAX_JSON_BYTES = 2 * 1024 * 1024


def json_depth(body: bytes, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply the arrays and objects of a JSON text nest (brackets inside strings do not count),
    read in one pass without parsing it, and given up as soon as the nesting passes ``limit``: the
    time it takes grows with the body's length, never faster (a regular expression that skipped
    strings took minutes on a quarter-megabyte of escaped quotes)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


class GuardedRequest(Request):
    """The application's request: its arguments and form are :class:`Parameters`, and it refuses NUL.

    NUL (0x00) is never part of text a person typed, and PostgreSQL can neither store nor compare
    text holding it: a query with one fails, which was a 500 wherever such input reached the
    database. Form fields, file names and JSON bodies are checked as they are parsed, so a view
    that streams its own body (a media upload) is not made to read it twice."""

    parameter_storage_class = Parameters

    def _load_form_data(self) -> None:
        super()._load_form_data()
        if _pairs_hold_nul(self.form.items(multi=True)) or any(
            "\x00" in (upload.filename or "") for _name, upload in self.files.items(multi=True)
        ):
            _refuse_nul()

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        # Refused even when ``silent``: such a body is no mistake to overlook but an attack (as NUL).
        if (force or self.is_json) and (self.content_length or 0) > MAX_JSON_BYTES:
            abort(413, description=_("提交的 JSON 过大（最多 %(n)s MB）。", n=MAX_JSON_BYTES // 1024 // 1024))
        if (force or self.is_json) and json_depth(self.get_data(cache=True)) > MAX_JSON_DEPTH:
            abort(400, description=_("提交的 JSON 嵌套层数过多（最多 %(n)s 层）。", n=MAX_JSON_DEPTH))
        data = super().get_json(force=force, silent=silent, cache=cache)
        if _holds_nul(data):
            _refuse_nul()
        return data


def refuse_nul_in_the_url() -> None:
    """The path and the query string, before any view (see :class:`GuardedRequest`)."""
    if "\x00" in request.path or _pairs_hold_nul(request.args.items(multi=True)):
        _refuse_nul()


def register(app) -> None:
    app.request_class = GuardedRequest
    app.before_request(refuse_nul_in_the_url)
