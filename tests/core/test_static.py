"""Static files: fingerprinted URLs cached for a year, precompressed copies, no 404 for a page cached
from before a deploy."""

import gzip
import os
import re
from pathlib import Path

import brotli
from flask import url_for

from app.core.static import StaticFolder, compress_folder


def _site_js(app):
    with app.test_request_context():
        return url_for("static", filename="js/site.js")


def test_a_static_url_carries_the_files_fingerprint_and_is_cached_for_a_year(app, client):
    url = _site_js(app)
    assert re.fullmatch(r"/static/js/site\.[0-9a-f]{12}\.js", url)
    response = client.get(url, headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert set(response.headers["Cache-Control"].split(", ")) == {"public", "max-age=31536000", "immutable"}
    assert response.content_type.startswith("text/javascript")
    assert response.data == (Path(app.static_folder) / "js" / "site.js").read_bytes()


def test_a_plain_or_stale_name_gets_the_current_file_revalidated_not_a_404(app, client):
    for url in ("/static/js/site.js", "/static/js/site.000000000000.js"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-cache"
        assert b"data-confirm" in response.data


def test_compressed_copies_are_served_to_browsers_that_accept_them(app, client, tmp_path):
    folder = tmp_path / "static"
    (folder / "js").mkdir(parents=True)
    text = ("console.log('红课');\n" * 400).encode()
    (folder / "js" / "big.js").write_bytes(text)
    (folder / "js" / "tiny.js").write_bytes(b"1;")
    assert compress_folder(folder) == (1, 0)
    assert compress_folder(folder) == (0, 1)  # fresh copies are not redone
    assert not (folder / "js" / "tiny.js.gz").exists()

    served = StaticFolder(str(folder))
    with app.test_request_context("/", headers={"Accept-Encoding": "gzip, br"}):
        response = served.serve("js/big.js")
        response.direct_passthrough = False
        assert response.headers["Content-Encoding"] == "br"
        assert brotli.decompress(response.get_data()) == text
        assert "Accept-Encoding" in response.headers["Vary"]
    with app.test_request_context("/", headers={"Accept-Encoding": "gzip"}):
        response = served.serve("js/big.js")
        response.direct_passthrough = False
        assert response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.get_data()) == text
    with app.test_request_context("/", headers={"Accept-Encoding": "identity"}):
        response = served.serve("js/big.js")
        response.direct_passthrough = False
        assert "Content-Encoding" not in response.headers
        assert response.get_data() == text
        assert response.content_type.startswith("text/javascript")


def test_a_changed_file_is_not_answered_with_its_old_compressed_copy(app, tmp_path):
    folder = tmp_path / "static"
    folder.mkdir()
    path = folder / "app.js"
    path.write_bytes(b"old();\n" * 200)
    compress_folder(folder)
    path.write_bytes(b"new();\n" * 200)
    later = path.stat().st_mtime_ns + 10**9
    os.utime(path, ns=(later, later))
    with app.test_request_context("/", headers={"Accept-Encoding": "gzip, br"}):
        response = StaticFolder(str(folder)).serve("app.js")
        response.direct_passthrough = False
        assert "Content-Encoding" not in response.headers
        assert response.get_data().startswith(b"new();")


def test_blueprint_static_files_and_traversal(app, client):
    with app.test_request_context():
        url = url_for("courses.static", filename="player.js")
    assert re.search(r"player\.[0-9a-f]{12}\.js$", url)
    assert client.get(url).status_code == 200
    assert client.get("/static/../config.py").status_code == 404
    assert client.get("/static/%2e%2e/config.py").status_code == 404
    assert client.get("/static/no-such-file.js").status_code == 404


def test_a_folder_url_is_left_as_it_is(app):
    with app.test_request_context():
        assert url_for("static", filename="vendor/pdfjs/cmaps/") == "/static/vendor/pdfjs/cmaps/"
