"""A real server and a real browser: the app served over HTTP from a thread, Playwright driving
Debian's Chromium headless. The server has its own migrated database (the test session's
rolled-back transaction is invisible to other connections).

Pages run under the site's Content-Security-Policy, which forbids eval: give ``wait_for_function``
a function (``"() => ..."``), not an expression, which Playwright would evaluate with eval.
"""

import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from app.config import TestConfig
from app.extensions import db
from tests.conftest import _scratch_database, side_app

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]


@contextmanager
def running_server(session_app, tmp_root, name: str):
    """A real threaded werkzeug server on a free port, with its own migrated database (``name``
    keeps its files apart); yields the base URL, whose ``.app`` is the server's application."""
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgresql"):
        context = _scratch_database(base)
        url = context.__enter__()
    else:
        context, url = None, f"sqlite:///{tmp_root / f'{name}.sqlite'}"

    class ServerConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        WTF_CSRF_ENABLED = True  # the browser goes through the real forms
        MEDIA_ROOT = str(tmp_root / f"{name}-media")
        IMPORT_DIR = str(tmp_root / f"{name}-imports")
        SEARCH_INDEX_DIR = str(tmp_root / f"{name}-search")

    server_app = side_app(ServerConfig, session_app)
    with server_app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
    server = make_server("127.0.0.1", 0, server_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    class Live(str):
        pass

    live = Live(f"http://127.0.0.1:{server.server_port}")
    live.app = server_app
    try:
        yield live
    finally:
        server.shutdown()
        with server_app.app_context():
            db.session.remove()
            db.engine.dispose()
        if context is not None:
            context.__exit__(None, None, None)


@pytest.fixture(scope="session")
def live_server(app, tmp_root):
    """The base URL of a running server; ``live_server.app`` is its application."""
    with running_server(app, tmp_root, "e2e") as live:
        yield live


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/setup --dev does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A page in a 375x812 phone viewport (iPhone X size) with touch."""
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()
