"""Who may open which page: members, trainers, coordinators (their subtree only) and admins."""

import re

import pytest

ADMIN_AND_COORDINATOR_PAGES = ["/users", "/org/branches", "/users/import", "/users/import/template.xlsx"]
ADMIN_ONLY_PAGES = ["/admin/audit", "/org/branches/new", "/users/new"]


def member_names(html: str) -> set[str]:
    table = html.split('data-testid="member-table"', 1)
    if len(table) == 1:
        return set()
    return set(re.findall(r'<a href="/users/\d+">([^<]+)</a>', table[1]))


@pytest.fixture
def people(org_tree, create_user):
    """One member in each 党支部, named after it."""
    return {
        key: create_user("member", branch=org_tree[key], name=f"成员{key}")
        for key in ("a1", "a2", "b1", "b2")
    }


@pytest.mark.parametrize("role", ["member", "trainer"])
@pytest.mark.parametrize("page", ADMIN_AND_COORDINATOR_PAGES + ADMIN_ONLY_PAGES)
def test_members_and_trainers_get_403(client, login_as, org_tree, role, page):
    login_as(role, branch=org_tree["a1"])
    response = client.get(page)
    assert response.status_code == 403
    assert "您没有权限访问此页面" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["member", "trainer"])
def test_members_and_trainers_cannot_open_another_member(client, login_as, people, role):
    login_as(role, branch=people["a1"].branch)
    assert client.get(f"/users/{people['a1'].id}").status_code == 403


def test_members_cannot_post_to_admin_actions(client, login_as, people, org_tree):
    login_as("member", branch=org_tree["a1"])
    target = people["a2"]
    for url, data in [
        (f"/users/{target.id}/active", {"active": "0"}),
        (f"/users/{target.id}/password", {"new_password": "Hacked-2026"}),
        (f"/users/{target.id}/unlock", {}),
        (f"/org/branches/{org_tree['a2'].id}/delete", {}),
        ("/org/branches/new", {"name": "X", "kind": "branch", "parent_id": 0}),
    ]:
        assert client.post(url, data=data).status_code == 403, url


def test_member_opening_their_own_record_sees_their_profile(client, login_as, org_tree):
    me = login_as("member", branch=org_tree["a1"], name="自己")
    response = client.get(f"/users/{me.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    assert "自己" in client.get("/account").get_data(as_text=True)


@pytest.mark.parametrize("page", ADMIN_AND_COORDINATOR_PAGES)
def test_coordinator_opens_coordinator_pages(client, login_as, org_tree, page):
    login_as("coordinator", branch=org_tree["a"])
    assert client.get(page).status_code == 200


@pytest.mark.parametrize("page", ADMIN_ONLY_PAGES)
def test_coordinator_gets_403_on_admin_pages(client, login_as, org_tree, page):
    login_as("coordinator", branch=org_tree["a"])
    assert client.get(page).status_code == 403


def test_coordinator_lists_their_subtree_only(client, login_as, org_tree, people):
    login_as("coordinator", branch=org_tree["a"], name="组织员")
    names = member_names(client.get("/users").get_data(as_text=True))
    assert {"成员a1", "成员a2", "组织员"} <= names
    assert not names & {"成员b1", "成员b2"}


def test_coordinator_filters_by_a_branch_in_scope(client, login_as, org_tree, people):
    login_as("coordinator", branch=org_tree["a"])
    response = client.get(f"/users?branch={org_tree['a1'].id}")
    assert response.status_code == 200
    assert member_names(response.get_data(as_text=True)) == {"成员a1"}


def test_coordinator_search_never_reaches_a_sibling_branch(client, login_as, org_tree, people):
    login_as("coordinator", branch=org_tree["a"])
    names = member_names(client.get("/users?q=成员").get_data(as_text=True))
    assert names == {"成员a1", "成员a2"}
    assert member_names(client.get(f"/users?q={people['b1'].employee_no}").get_data(as_text=True)) == set()


def test_coordinator_gets_403_for_a_sibling_branch(client, login_as, org_tree, people):
    login_as("coordinator", branch=org_tree["a"])
    assert client.get(f"/users?branch={org_tree['b1'].id}").status_code == 403
    assert client.get(f"/users?branch={org_tree['root'].id}").status_code == 403
    assert client.get(f"/users/{people['b1'].id}").status_code == 403


def test_coordinator_opens_a_member_in_their_subtree(client, login_as, org_tree, people):
    login_as("coordinator", branch=org_tree["a"])
    response = client.get(f"/users/{people['a2'].id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "成员a2" in page
    assert "账户管理" not in page  # account actions are for admins


def test_coordinator_of_a_branch_does_not_see_its_parent_or_siblings(client, login_as, org_tree, people):
    login_as("coordinator", branch=org_tree["a1"])
    assert member_names(client.get("/users").get_data(as_text=True)) >= {"成员a1"}
    assert "成员a2" not in member_names(client.get("/users").get_data(as_text=True))
    assert client.get(f"/users/{people['a2'].id}").status_code == 403
    assert client.get(f"/users?branch={org_tree['a'].id}").status_code == 403


def test_coordinator_cannot_edit_or_manage_users(client, login_as, org_tree, people):
    login_as("coordinator", branch=org_tree["a"])
    target = people["a1"]
    assert client.get(f"/users/{target.id}/edit").status_code == 403
    assert client.post(f"/users/{target.id}/edit", data={"name": "改名"}).status_code == 403
    assert client.post(f"/users/{target.id}/active", data={"active": "0"}).status_code == 403
    assert (
        client.post(f"/users/{target.id}/password", data={"new_password": "Hacked-2026"}).status_code == 403
    )


def test_coordinator_without_a_branch_sees_nobody(client, login_as, people):
    login_as("coordinator")
    assert client.get("/users").status_code == 403
    assert client.get(f"/users/{people['a1'].id}").status_code == 403


def test_unknown_member_and_branch_are_404(client, login_as, org_tree):
    login_as("coordinator", branch=org_tree["a"])
    assert client.get("/users/999999").status_code == 404
    assert client.get("/users?branch=999999").status_code == 404


def test_admin_sees_every_member_and_every_page(client, login_as, org_tree, people):
    login_as("admin", branch=org_tree["root"])
    names = member_names(client.get("/users").get_data(as_text=True))
    assert {"成员a1", "成员a2", "成员b1", "成员b2"} <= names
    for page in ADMIN_AND_COORDINATOR_PAGES + ADMIN_ONLY_PAGES:
        assert client.get(page).status_code == 200, page
    assert client.get(f"/users/{people['b2'].id}").status_code == 200


def test_admin_opens_an_account_outside_every_branch(client, login_as, create_user):
    loose = create_user("trainer", name="外聘讲师")
    login_as("admin")
    response = client.get(f"/users/{loose.id}")
    assert response.status_code == 200
    assert "外聘讲师" in response.get_data(as_text=True)
    assert client.get(f"/users/{loose.id}/edit").status_code == 200


def test_navigation_follows_the_role(client, login_as, org_tree):
    login_as("member", branch=org_tree["a1"])
    page = client.get("/").get_data(as_text=True)
    assert 'href="/users"' not in page
    assert 'href="/admin/audit"' not in page
    client.post("/logout")
    login_as("coordinator", branch=org_tree["a"])
    page = client.get("/").get_data(as_text=True)
    assert 'href="/users"' in page
    assert 'href="/admin/audit"' not in page
