"""Fixtures shared by the tests of this package."""

from tests.portal.fixtures import api_as, as_user  # noqa: F401 -- fixtures, found by name
