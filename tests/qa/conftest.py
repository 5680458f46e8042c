"""Fixtures shared by the tests of this package."""

from tests.helpers import csrf_enabled, login_as  # noqa: F401 -- fixtures, found by name
from tests.portal.fixtures import api_as, as_user  # noqa: F401 -- fixtures, found by name
