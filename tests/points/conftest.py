"""Points for learning across domains: a fixed morning on the server's clock, courses to learn from,
and no presence check (防挂机, tested in tests/records) interrupting an hour of play."""

from datetime import UTC, datetime

import pytest

from tests.courses.conftest import make_asset, make_course, member, trainer  # noqa: F401 -- fixtures, found by name
from tests.helpers import config_set
from tests.portal.fixtures import as_user  # noqa: F401 -- a fixture, found by name

# 09:00 in Shanghai: the local day does not change while a test plays an hour.
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def clock_start():
    return START


@pytest.fixture(autouse=True)
def no_presence_check(app):
    with config_set(app, PRESENCE_CHECK_ENABLED=False):
        yield
