"""One site URL: with SITE_URL set, links that leave the request (API ``url`` fields, QR codes,
certificates' verification links, xAPI ids) start with it, whatever host the request came by;
without it they follow the request, as before. XAPI_SITE_URL still works as its old name."""

import pytest

from app.accounts import services as account_services
from app.core.urls import LOCAL_SITE_URL, absolute, absolute_url
from app.extensions import db
from app.portal import services as portal_services
from app.records.services.xapi import xapi_site_url
from tests.helpers import config_set

SITE = "https://dangxiao.example.cn/"


@pytest.fixture
def notice(org_tree, create_user):
    coordinator = create_user("coordinator", "member", branch=org_tree["a"])
    member = create_user("member", branch=org_tree["a1"])
    data = portal_services.NoticeData(
        kind="notice", title="关于开展主题党日活动的通知", body="请按时参加。", branch_id=org_tree["a"].id
    )
    item = portal_services.create_notice(data, coordinator, publish=True)
    db.session.commit()
    return item, member


def api_get(client, user, url):
    _token, plain = account_services.issue_api_token(user, "测试", actor=user)
    db.session.commit()
    return client.get(url, headers={"Authorization": f"Bearer {plain}"})


def test_an_api_url_starts_with_the_site_url(app, client, notice):
    item, member = notice
    with config_set(app, SITE_URL=SITE):
        data = api_get(client, member, f"/api/v1/notices/{item.id}").get_json()["data"]
    assert data["url"] == f"https://dangxiao.example.cn/notices/{item.id}"


def test_without_it_an_api_url_follows_the_request(app, client, notice):
    item, member = notice
    with config_set(app, SITE_URL="", XAPI_SITE_URL=""):
        response = api_get(client, member, f"/api/v1/notices/{item.id}")
    assert response.get_json()["data"]["url"] == f"http://localhost/notices/{item.id}"


@pytest.mark.parametrize("setting", [{"SITE_URL": "https://dangxiao.example.cn"}, {"XAPI_SITE_URL": SITE}])
def test_one_setting_or_its_old_name_with_or_without_the_slash(app, setting):
    with (
        config_set(app, **{"SITE_URL": "", "XAPI_SITE_URL": "", **setting}),
        app.test_request_context("/", base_url="http://10.0.0.8:8000"),
    ):
        assert absolute_url("verify.verify", serial="HK-1") == "https://dangxiao.example.cn/verify/HK-1"
        assert absolute("/verify/HK-1") == "https://dangxiao.example.cn/verify/HK-1"
        assert xapi_site_url() == SITE


def test_a_site_below_a_path_keeps_it(app):
    with (
        config_set(app, SITE_URL="https://portal.example.cn/dangxiao/"),
        app.test_request_context("/", base_url="http://10.0.0.8:8000/hongke"),
    ):
        assert (
            absolute_url("verify.verify", serial="HK-1") == "https://portal.example.cn/dangxiao/verify/HK-1"
        )
        # url_for in this request gives /hongke/verify/HK-1: the request's prefix is not the site's.
        assert absolute("/hongke/verify/HK-1") == "https://portal.example.cn/dangxiao/verify/HK-1"


def test_unset_links_follow_the_request_and_xapi_ids_stay_put(app):
    with config_set(app, SITE_URL="", XAPI_SITE_URL=""):
        with app.test_request_context("/", base_url="http://10.0.0.8:8000/hongke"):
            assert absolute_url("verify.verify", serial="HK-1") == "http://10.0.0.8:8000/hongke/verify/HK-1"
            assert xapi_site_url() == LOCAL_SITE_URL  # an activity id never takes a request's host
        with app.app_context():
            assert absolute_url("verify.verify", serial="HK-1") == LOCAL_SITE_URL + "verify/HK-1"
