"""Small helpers shared by the test packages (fixtures that need them live in each package's conftest)."""

import re
from contextlib import contextmanager

import sqlalchemy as sa
from werkzeug.routing import Rule

from app.extensions import db

_CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token_in(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _CSRF_INPUT.search(html)
    assert match, "no csrf_token field on the page"
    return match.group(1) or match.group(2)


@contextmanager
def config_set(app, **values):
    """Change ``app.config`` for the duration of a block, restoring the previous values afterwards."""
    missing = object()
    before = {key: app.config.get(key, missing) for key in values}
    app.config.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is missing:
                app.config.pop(key, None)
            else:
                app.config[key] = value


def add_test_route(app, rule: str, endpoint: str, view, methods=("GET",)) -> None:
    """Add a route to the session-wide app, once, without Flask's after-first-request guard.

    ``app.url_map`` and ``app.view_functions`` are public; the route stays for the rest of the
    session, so it lives under a path no real page uses and takes part in no other test.
    """
    if endpoint in app.view_functions:
        return
    app.url_map.add(Rule(rule, endpoint=endpoint, methods=list(methods)))
    app.view_functions[endpoint] = view


def count(model, *where) -> int:
    """Rows of ``model`` matching ``where``, read fresh from the database."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def chinese_pdf(pages: list[list[str]], *, size: int = 28) -> bytes:
    """A real PDF whose pages show the given lines of Chinese text, written by hand.

    The text uses Adobe's STSong-Light without embedding it (as many Chinese office PDFs do), with the
    predefined UniGB-UCS2-H CMap: a reader draws it only if it finds that CMap and a system font.
    """
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the page tree, written once the pages have numbers
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H"
        b" /DescendantFonts [4 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light"
        b" /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 5 0 R"
        b" /DW 1000 >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880]"
        b" /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ]
    kids = []
    for lines in pages:
        shown = b"".join(
            b"<%s> Tj 0 -%d Td\n" % (line.encode("utf-16-be").hex().encode(), size * 2) for line in lines
        )
        stream = b"BT /F1 %d Tf 50 760 Td\n%sET" % (size, shown)
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R"
            b" /Resources << /Font << /F1 3 0 R >> >> >>" % (len(objects))
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


_STORED_COPIES: list[str] = []


def stored_path(key: str):
    """A file or folder of the media store as a local path, to read what was stored: the store's
    own path on the local store; with S3, a copy in a temporary folder (removed at exit), outside
    the store's scratch space so that "nothing left in work/" still holds."""
    import atexit
    import shutil
    import tempfile
    from pathlib import Path

    from media_pipeline import services

    store = services.media_store()
    if not store.is_remote:
        return store.path(key)
    if not _STORED_COPIES:
        atexit.register(lambda: [shutil.rmtree(p, ignore_errors=True) for p in _STORED_COPIES])
    folder = tempfile.mkdtemp(prefix="hongke-stored-")
    _STORED_COPIES.append(folder)
    return store.download(key, Path(folder))


def media_on_s3() -> bool:
    from media_pipeline import services

    return services.media_store().is_remote


def same_stored_file(first, second) -> bool:
    """Two published files are one reused file: the very same file (hard-linked, one inode) on the
    local store; the same bytes with S3 (reused by download and upload, not encoded again)."""
    if not media_on_s3():
        return first.stat().st_ino == second.stat().st_ino
    return first.read_bytes() == second.read_bytes()


class Fetched:
    """What a player got from a URL outside the app (a presigned object URL): status, body, headers."""

    def __init__(self, status_code: int, data: bytes, headers):
        self.status_code, self.data, self.headers = status_code, data, headers
        self.mimetype = (headers.get("Content-Type") or "").split(";")[0].strip()


def fetch_url(url: str, headers: dict | None = None) -> Fetched:
    """GET an absolute URL with no cookie and no header but ``headers`` (a native player)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 -- the test's own server
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return Fetched(answer.status, answer.read(), answer.headers)
    except urllib.error.HTTPError as exc:
        return Fetched(exc.code, exc.read(), exc.headers)


def get_media(client, url: str, headers: dict | None = None):
    """GET a media URL as a player does: the app's answer, or, when the app answers with a 302 to
    an object's presigned URL (media on S3), what that URL answers to a request with no cookie."""
    response = client.get(url, headers=headers or {})
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.startswith(("http://", "https://")):
        return fetch_url(location, headers)
    return response
