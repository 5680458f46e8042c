from tests.portal.fixtures import as_user  # noqa: F401 -- a fixture: several people in one test
