"""API resources under coordinator scope: branches, branch members, users."""

import pytest

from app.accounts import services
from app.extensions import db


@pytest.fixture
def api(client):
    """``api(user).get(url)``: requests authenticated with a fresh personal token of ``user``."""

    class Caller:
        def __init__(self, user):
            _token, plain = services.issue_api_token(user, "测试", actor=user)
            db.session.commit()
            self.headers = {"Authorization": f"Bearer {plain}"}

        def get(self, url):
            return client.get(url, headers=self.headers)

    return Caller


@pytest.fixture
def people(org_tree, create_user):
    return {
        key: create_user("member", branch=org_tree[key], name=f"成员{key}")
        for key in ("a1", "a2", "b1", "b2")
    }


def error_of(response, status):
    assert response.status_code == status
    body = response.get_json()
    assert body["success"] is False
    return body["errors"][0]["message"]


def test_coordinator_lists_only_their_subtree(api, org_tree, create_user):
    caller = api(create_user("coordinator", branch=org_tree["a"]))
    body = caller.get("/api/v1/branches").get_json()
    assert body["success"] is True
    assert [b["id"] for b in body["data"]] == [org_tree[k].id for k in ("a", "a1", "a2")]
    assert body["data"][1] == {
        "id": org_tree["a1"].id,
        "name": "机关第一党支部",
        "kind": "branch",
        "parent_id": org_tree["a"].id,
        "depth": 2,
    }


def test_admin_lists_every_branch(api, org_tree, create_user):
    data = api(create_user("admin")).get("/api/v1/branches").get_json()["data"]
    assert {b["id"] for b in data} == {b.id for b in org_tree.values()}


@pytest.mark.parametrize("role", ["member", "trainer"])
def test_members_and_trainers_get_403_for_branches(api, org_tree, create_user, role):
    caller = api(create_user(role, branch=org_tree["a1"]))
    assert "只有组织员和管理员" in error_of(caller.get("/api/v1/branches"), 403)
    error_of(caller.get(f"/api/v1/branches/{org_tree['a1'].id}/members"), 403)


def test_coordinator_lists_members_of_a_branch_in_scope(api, org_tree, people, create_user):
    caller = api(create_user("coordinator", branch=org_tree["a"]))
    data = caller.get(f"/api/v1/branches/{org_tree['a1'].id}/members").get_json()["data"]
    assert data["total"] == 1
    assert [m["name"] for m in data["members"]] == ["成员a1"]
    everyone = caller.get(f"/api/v1/branches/{org_tree['a'].id}/members").get_json()["data"]
    names = {m["name"] for m in everyone["members"]}
    assert {"成员a1", "成员a2"} <= names
    assert not names & {"成员b1", "成员b2"}


def test_coordinator_gets_403_for_a_sibling_branch_and_its_members(api, org_tree, people, create_user):
    caller = api(create_user("coordinator", branch=org_tree["a"]))
    for url in (
        f"/api/v1/branches/{org_tree['b1'].id}/members",
        f"/api/v1/branches/{org_tree['root'].id}/members",
        f"/api/v1/users/{people['b1'].id}",
    ):
        body = caller.get(url).get_json()
        assert body["success"] is False, url
        assert caller.get(url).status_code == 403
        assert "成员b1" not in str(body)


def test_coordinator_reads_a_member_in_scope(api, org_tree, people, create_user):
    caller = api(create_user("coordinator", branch=org_tree["a"]))
    data = caller.get(f"/api/v1/users/{people['a2'].id}").get_json()["data"]
    assert data["name"] == "成员a2"
    assert data["branch"]["id"] == org_tree["a2"].id


def test_member_reads_only_themselves(api, people):
    caller = api(people["a1"])
    assert caller.get(f"/api/v1/users/{people['a1'].id}").status_code == 200
    error_of(caller.get(f"/api/v1/users/{people['a2'].id}"), 403)


def test_unknown_ids_are_404_json(api, org_tree, create_user):
    caller = api(create_user("admin"))
    assert error_of(caller.get("/api/v1/users/999999"), 404)
    assert error_of(caller.get("/api/v1/branches/999999/members"), 404)


def test_branch_members_are_paginated(api, org_tree, create_user):
    for _ in range(5):
        create_user("member", branch=org_tree["a1"])
    caller = api(create_user("coordinator", branch=org_tree["a1"]))
    url = f"/api/v1/branches/{org_tree['a1'].id}/members?per_page=2"
    first = caller.get(url).get_json()["data"]
    assert (first["total"], first["page"], first["pages"], len(first["members"])) == (6, 1, 3, 2)
    last = caller.get(url + "&page=3").get_json()["data"]
    assert len(last["members"]) == 2
    assert not {m["id"] for m in first["members"]} & {m["id"] for m in last["members"]}
    beyond = caller.get(url + "&page=9").get_json()["data"]
    assert beyond["members"] == []


@pytest.mark.parametrize(
    "query", ["per_page=0", "per_page=-5", "page=0", "page=-1", "page=abc", "per_page=100000"]
)
def test_odd_paging_arguments_never_fail(api, org_tree, create_user, query):
    caller = api(create_user("coordinator", branch=org_tree["a1"]))
    response = caller.get(f"/api/v1/branches/{org_tree['a1'].id}/members?{query}")
    assert response.status_code == 200
    assert response.get_json()["data"]["total"] == 1


def test_admin_reads_an_account_outside_every_branch(api, create_user):
    loose = create_user("trainer", name="外聘讲师")
    response = api(create_user("admin")).get(f"/api/v1/users/{loose.id}")
    assert response.status_code == 200
    assert response.get_json()["data"]["branch"] is None
