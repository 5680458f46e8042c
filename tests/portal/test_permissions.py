"""Pages of the knowledge base, Q&A and notices that only some roles may open."""

import pytest

RESTRICTED = [
    # (path, roles that get 403, a role that gets in)
    ("/kb/articles/new", ["member"], "trainer"),
    ("/kb/mine", ["member"], "trainer"),
    ("/kb/categories", ["member", "trainer"], "coordinator"),
    ("/qa/moderation", ["member", "trainer", "coordinator"], "admin"),
    ("/qa/experts", ["member", "trainer", "coordinator"], "admin"),
    ("/notices/new", ["member", "trainer"], "coordinator"),
    ("/admin/audit", ["member", "coordinator"], "admin"),
]


@pytest.mark.parametrize(("path", "refused", "allowed"), RESTRICTED)
def test_wrong_roles_get_403_and_the_right_gets_in(as_user, create_user, org_tree, path, refused, allowed):
    for role in refused:
        assert as_user(create_user(role, branch=org_tree["a1"])).get(path).status_code == 403, (path, role)
    assert as_user(create_user(allowed, branch=org_tree["a"])).get(path).status_code == 200, path


ANYONE_SIGNED_IN = ["/kb/", "/qa/", "/qa/ask", "/notices", "/notifications", "/qa/similar?title=党费"]


@pytest.mark.parametrize("path", ANYONE_SIGNED_IN)
def test_anonymous_visitors_are_sent_to_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
