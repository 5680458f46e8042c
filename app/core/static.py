"""Static files: fingerprinted names cached for a year, served precompressed.

``url_for("static", filename="js/site.js")`` (and every blueprint's ``.static``) gives
``/static/js/site.3f2a1b9c04de.js``: the file's name with the first 12 hex digits of its SHA-256.
A request for that name is answered with ``Cache-Control: public, max-age=31536000, immutable``: a
browser or CDN never asks again, and a changed file has a new name. A plain name, or a fingerprint
that no longer matches (a page cached from before a deploy), gets the current file with
``no-cache`` (revalidated by its ETag), never a 404.

``flask static compress`` (run by ``scripts/setup``) writes ``.br`` and ``.gz`` beside every text
file (scripts, styles, maps, SVG, JSON, fonts' CMaps); a request whose ``Accept-Encoding`` allows
them is answered with the smaller one and ``Content-Encoding``, with no compression work per
request. Fingerprints are read from disk once per file and kept while its size and mtime stay.
"""

import gzip
import hashlib
import mimetypes
import re
import threading
from pathlib import Path

import click
from flask import Flask, abort, current_app, request, send_from_directory
from flask.cli import AppGroup
from werkzeug.security import safe_join

#: A year: the longest max-age caches honour.
IMMUTABLE_SECONDS = 365 * 24 * 3600
FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{12})(?P<ext>\.[A-Za-z0-9]+)$")
#: Files worth compressing (already-compressed images, fonts and media are not).
COMPRESSIBLE = {".js", ".mjs", ".css", ".map", ".svg", ".json", ".txt", ".html", ".bcmap", ".ftl", ".pfb"}
#: Below this size compression saves less than its headers cost.
MIN_COMPRESS_BYTES = 512
#: Preferred first: brotli is smaller, gzip is understood everywhere.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


class StaticFolder:
    """One static folder (the app's or a blueprint's): fingerprints and serving."""

    def __init__(self, folder: str):
        self.folder = Path(folder)
        self._digests: dict[str, tuple[int, int, str]] = {}
        self._lock = threading.Lock()

    def digest(self, filename: str) -> str | None:
        path = safe_join(str(self.folder), filename)
        if path is None:
            return None
        try:
            stat = Path(path).stat()
        except OSError:
            return None
        if not Path(path).is_file():  # a folder (pdf.js is given its CMaps folder's URL)
            return None
        known = self._digests.get(filename)
        if known and known[:2] == (stat.st_size, stat.st_mtime_ns):
            return known[2]
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
        with self._lock:
            self._digests[filename] = (stat.st_size, stat.st_mtime_ns, digest)
        return digest

    def url_name(self, filename: str) -> str:
        """``filename`` with its fingerprint, or as it is when there is no such file."""
        digest = self.digest(filename)
        if digest is None:
            return filename
        stem, dot, ext = filename.rpartition(".")
        return f"{stem}.{digest}.{ext}" if dot and "/" not in ext else f"{filename}.{digest}"

    def serve(self, filename: str):
        immutable = False
        match = FINGERPRINTED.match(filename)
        if match and self.digest(filename) is None:
            original = match["stem"] + match["ext"]
            immutable = self.digest(original) == match["digest"]
            filename = original
        if self.digest(filename) is None:
            abort(404)
        mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        if filename.endswith(".mjs"):
            mimetype = "text/javascript"
        sent, encoding = filename, None
        accepted = request.accept_encodings
        for name, suffix in ENCODINGS if current_app.config["STATIC_PRECOMPRESSED"] else ():
            candidate = self.folder / (filename + suffix)
            if accepted[name] and candidate.is_file() and _fresh(candidate, self.folder / filename):
                sent, encoding = filename + suffix, name
                break
        response = send_from_directory(self.folder, sent, mimetype=mimetype, max_age=0)
        if encoding:
            response.headers["Content-Encoding"] = encoding
        response.vary.add("Accept-Encoding")
        if immutable:
            response.cache_control.public = True
            response.cache_control.max_age = IMMUTABLE_SECONDS
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
        else:
            response.cache_control.no_cache = True
            response.cache_control.max_age = None
        return response


def _fresh(compressed: Path, original: Path) -> bool:
    """A compressed copy made from this version of the file (not left over from an older one)."""
    try:
        return compressed.stat().st_mtime_ns >= original.stat().st_mtime_ns
    except OSError:
        return False


def _static_folders(app: Flask) -> dict[str, StaticFolder]:
    """Every ``static`` endpoint of the app and its blueprints, with its folder."""
    folders = {}
    if app.static_folder:
        folders["static"] = StaticFolder(app.static_folder)
    for name, blueprint in app.blueprints.items():
        if blueprint.has_static_folder:
            folders[f"{name}.static"] = StaticFolder(blueprint.static_folder)
    return folders


def _make_view(folder: StaticFolder):
    def send_static(filename: str):
        return folder.serve(filename)

    return send_static


def compress_folder(folder: Path) -> tuple[int, int]:
    """Write ``.gz`` (and ``.br`` when the brotli package is present) beside each compressible file
    that lacks a fresh one; return (files compressed, files skipped as fresh)."""
    try:
        import brotli
    except ImportError:  # gzip alone still helps; setup installs brotli
        brotli = None
    done = fresh = 0
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix not in COMPRESSIBLE or path.stat().st_size < MIN_COMPRESS_BYTES:
            continue
        targets = [path.with_name(path.name + ".gz")] + (
            [path.with_name(path.name + ".br")] if brotli else []
        )
        if all(t.is_file() and _fresh(t, path) for t in targets):
            fresh += 1
            continue
        data = path.read_bytes()
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
        if brotli:
            path.with_name(path.name + ".br").write_bytes(brotli.compress(data, quality=11))
        done += 1
    return done, fresh


static_cli = AppGroup("static", help="静态文件。")


@static_cli.command("compress")
def compress_command():
    """Precompress every static folder's text files (gzip and brotli)."""
    for endpoint, folder in _static_folders(current_app).items():
        done, fresh = compress_folder(folder.folder)
        click.echo(f"{endpoint}: {done} compressed, {fresh} up to date")


def register(app: Flask) -> None:
    """Serve every static endpoint through :class:`StaticFolder` and fingerprint its URLs. Called
    after the domains registered their blueprints."""
    folders = _static_folders(app)
    for endpoint, folder in folders.items():
        app.view_functions[endpoint] = _make_view(folder)

    @app.url_defaults
    def fingerprint(endpoint: str, values: dict) -> None:
        folder = folders.get(endpoint)
        if folder is not None and "filename" in values:
            values["filename"] = folder.url_name(values["filename"])

    app.cli.add_command(static_cli)
