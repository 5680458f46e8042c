from tests.courses.conftest import make_asset  # noqa: F401 -- a media asset row as the pipeline leaves it
from tests.portal.fixtures import as_user  # noqa: F401 -- a fixture: several people in one test
