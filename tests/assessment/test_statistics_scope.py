"""Scope of 党务统计, as someone trying to see more than their subtree would: other branches, other
roles, unknown ids, and bad parameters on the page, the chart data, the downloads and the API."""

import pytest

URLS = [
    "/assessment/statistics/?branch={id}",
    "/assessment/statistics/charts/structure-age.json?branch={id}",
    "/assessment/statistics/charts/hours.csv?branch={id}",
    "/assessment/statistics/charts/changes.xlsx?branch={id}",
    "/api/v1/stats/members?by=age&branch_id={id}",
]


@pytest.mark.parametrize("url", URLS)
def test_a_coordinator_is_refused_another_subtree(url, org_tree, people, client, login_as):
    login_as("coordinator", branch=org_tree["a"])
    assert client.get(url.format(id=org_tree["b1"].id)).status_code == 403
    assert client.get(url.format(id=org_tree["root"].id)).status_code == 403
    assert client.get(url.format(id=org_tree["a1"].id)).status_code == 200
    assert client.get(url.format(id=99999)).status_code == 404


@pytest.mark.parametrize("role", ["member", "trainer"])
@pytest.mark.parametrize("url", URLS)
def test_members_and_trainers_see_no_statistics(url, role, org_tree, client, login_as):
    login_as(role, branch=org_tree["a1"])
    assert client.get(url.format(id=org_tree["a1"].id)).status_code == 403
    assert client.get(url.format(id="").replace("branch=&", "").rstrip("=")).status_code == 403


def test_the_api_counts_only_the_coordinators_subtree(org_tree, people, client, login_as):
    login_as("coordinator", branch=org_tree["a"])
    data = client.get("/api/v1/stats/members?by=gender").get_json()
    assert data["success"] is True
    assert data["data"]["total"] == 7
    one = client.get(f"/api/v1/stats/members?by=category&branch_id={org_tree['a2'].id}").get_json()["data"]
    assert one["total"] == 3
    assert {b["key"]: b["members"] for b in one["buckets"]}["activist"] == 1


def test_an_admin_counts_everything(org_tree, people, client, login_as):
    login_as("admin")
    assert client.get("/api/v1/stats/members?by=party_age").get_json()["data"]["total"] == 9


@pytest.mark.parametrize("query", ["", "?by=", "?by=salary", "?by=age%00"])
def test_a_bad_dimension_is_422_in_chinese(query, org_tree, client, login_as):
    login_as("coordinator", branch=org_tree["a"])
    response = client.get(f"/api/v1/stats/members{query}")
    assert response.status_code in (400, 422)
    if response.status_code == 422:
        assert "参数 by 须为以下之一" in response.get_json()["errors"][0]["message"]


def test_a_branch_id_that_is_no_id_is_404(org_tree, client, login_as):
    login_as("admin")
    assert client.get("/api/v1/stats/members?by=age&branch_id=abc").status_code == 404
    assert client.get("/assessment/statistics/?branch=1.5").status_code == 404
