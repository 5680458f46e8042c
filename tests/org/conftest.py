"""Fixtures shared by the tests of this package."""

from tests.helpers import csrf_enabled, login_as  # noqa: F401 -- fixtures, found by name
