"""Small helpers shared by the test packages (fixtures that need them live in each package's conftest)."""

import re
from contextlib import contextmanager

import pytest
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


@pytest.fixture
def csrf_enabled(app):
    """CSRF protection switched on, as in production (the test configuration turns it off)."""
    with config_set(app, WTF_CSRF_ENABLED=True):
        yield


@pytest.fixture
def login_as(create_user, login):
    """``login_as(role, branch=None)`` → a new user holding ``role``, signed in on the test client."""

    def factory(*roles, branch=None, **fields):
        user = create_user(*roles, branch=branch, **fields)
        login(user)
        return user

    return factory
