import pytest

from tests.courses.conftest import make_asset  # noqa: F401 -- a media asset row as the pipeline leaves it
from tests.portal.fixtures import as_user  # noqa: F401 -- a fixture: several people in one test


@pytest.fixture
def people(create_user, org_tree):
    return {
        "author": create_user("member", branch=org_tree["a1"], name="投稿党员"),
        "reader": create_user("member", branch=org_tree["b1"], name="读者"),
        "trainer": create_user("trainer", "member", branch=org_tree["a1"], name="审核讲师"),
        "coordinator": create_user("coordinator", "member", branch=org_tree["a"], name="组织员"),
        "admin": create_user("admin", name="管理员"),
    }
