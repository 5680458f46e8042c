"""How /api/v1 callers authenticate: personal tokens, or the browser's session with a CSRF header."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_login import current_user

from app.accounts import services
from app.accounts.models import ApiToken
from app.api import ok
from app.extensions import db
from tests.helpers import add_test_route, csrf_token_in


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def assert_json_error(response, status: int, message_part: str | None = None):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["success"] is False
    assert isinstance(body["errors"], list)
    assert body["errors"]
    assert all(isinstance(e["message"], str) and e["message"] for e in body["errors"])
    if message_part:
        assert message_part in body["errors"][0]["message"]
    assert "<html" not in response.get_data(as_text=True)
    return body


@pytest.fixture
def token_user(create_user, org_tree):
    user = create_user("member", branch=org_tree["a1"], name="接口用户")
    _token, plain = services.issue_api_token(user, "测试", actor=user)
    db.session.commit()
    return user, plain


@pytest.fixture
def echo_route(app):
    """A write endpoint on the API blueprint, for checking how writes are authorised (none exists yet)."""

    def echo():
        return ok({"employee_no": current_user.employee_no})

    add_test_route(app, "/api/v1/_test/echo", "api._test_echo", echo, methods=("GET", "POST"))


def test_missing_token_is_401_json(client):
    response = client.get("/api/v1/me")
    assert_json_error(response, 401, "Authorization: Bearer")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="hongke"'


@pytest.mark.parametrize(
    "header",
    [
        "Bearer hk_not-a-real-token",
        "Bearer ",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "hk_no-scheme",
        "Bearer " + "hk_" + "x" * 200,
    ],
)
def test_bad_token_is_401_json(client, token_user, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert_json_error(response, 401, "API 令牌无效或已吊销")


def test_good_token_returns_the_user(client, token_user):
    user, token = token_user
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["success"] is True
    assert body["data"]["id"] == user.id
    assert body["data"]["employee_no"] == user.employee_no
    assert body["data"]["name"] == "接口用户"
    assert body["data"]["roles"] == ["member"]
    assert body["data"]["branch"] == {"id": user.branch.id, "name": "机关第一党支部"}


def test_token_from_the_cli_works(client, runner, create_user):
    user = create_user("coordinator", employee_no="CLI0001")
    result = runner.invoke(args=["users", "token", "CLI0001"])
    token = result.output.strip().splitlines()[-1]
    assert client.get("/api/v1/me", headers=bearer(token)).get_json()["data"]["id"] == user.id


def test_token_use_is_recorded(client, token_user):
    user, token = token_user
    client.get("/api/v1/me", headers=bearer(token))
    db.session.expire_all()
    stored = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert stored.last_used_at is not None


def test_revoked_token_is_401(client, token_user):
    user, token = token_user
    stored = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)).one()
    services.revoke_api_token(stored, actor=user)
    db.session.commit()
    assert_json_error(client.get("/api/v1/me", headers=bearer(token)), 401)


def test_token_of_a_disabled_account_is_401(client, token_user, create_user):
    user, token = token_user
    services.set_user_active(db.session.get(type(user), user.id), False, actor=create_user("admin"))
    db.session.commit()
    assert_json_error(client.get("/api/v1/me", headers=bearer(token)), 401)


def test_token_requests_set_no_session_cookie(client, token_user, org_tree):
    _user, token = token_user
    for url in ("/api/v1/me", "/api/v1/branches", f"/api/v1/branches/{org_tree['b1'].id}/members"):
        response = client.get(url, headers=bearer(token))
        assert "Set-Cookie" not in response.headers, url
    # And the next request without the token is anonymous again.
    assert client.get("/api/v1/me").status_code == 401


def test_tokens_page_shows_a_new_token_once_and_revokes_it(client, login_as):
    login_as("member")
    page = client.post(
        "/account/tokens", data={"name": "手机应用", "days": "90", "password": "Passw0rd-test"}
    ).get_data(as_text=True)
    token = page.split('data-testid="new-token">', 1)[1].split("<", 1)[0]
    assert token.startswith("hk_")
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert "手机应用" in listing
    assert token not in listing
    token_id = db.session.scalars(sa.select(ApiToken.id).where(ApiToken.name == "手机应用")).one()
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    assert "已吊销" in client.get("/account/tokens").get_data(as_text=True)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_nobody_revokes_someone_elses_token(client, token_user, login_as):
    user, token = token_user
    login_as("member")
    token_id = db.session.scalars(sa.select(ApiToken.id).where(ApiToken.user_id == user.id)).one()
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_browser_session_reads_the_api(client, login_as):
    user = login_as("member")
    assert client.get("/api/v1/me").get_json()["data"]["id"] == user.id


def test_unknown_api_url_and_wrong_method_are_json(client, token_user):
    _user, token = token_user
    assert_json_error(client.get("/api/v1/no-such-thing", headers=bearer(token)), 404)
    assert_json_error(client.get("/api/v1/no-such-thing"), 404)
    assert_json_error(client.delete("/api/v1/me", headers=bearer(token)), 405)


@pytest.mark.usefixtures("csrf_enabled", "echo_route")
class TestWritesWithCsrfOn:
    def login(self, client, user):
        token = csrf_token_in(client.get("/login").get_data(as_text=True))
        client.post(
            "/login", data={"identifier": user.employee_no, "password": "Passw0rd-test", "csrf_token": token}
        )

    def test_session_post_without_csrf_header_is_refused(self, client, create_user):
        self.login(client, create_user())
        assert client.get("/api/v1/_test/echo").status_code == 200
        body = assert_json_error(client.post("/api/v1/_test/echo", json={}), 400)
        assert "页面已过期" in body["errors"][0]["message"]

    def test_session_post_with_csrf_header_is_accepted(self, client, create_user):
        user = create_user()
        self.login(client, user)
        token = csrf_token_in(client.get("/").get_data(as_text=True))
        response = client.post("/api/v1/_test/echo", json={}, headers={"X-CSRFToken": token})
        assert response.status_code == 200
        assert response.get_json()["data"]["employee_no"] == user.employee_no

    def test_token_post_needs_no_csrf_header(self, client, token_user):
        user, token = token_user
        response = client.post("/api/v1/_test/echo", json={}, headers=bearer(token))
        assert response.status_code == 200
        assert response.get_json()["data"]["employee_no"] == user.employee_no


@pytest.mark.usefixtures("echo_route")
def test_session_post_works_when_csrf_is_off(client, login_as):
    """The test configuration switches CSRF off for forms; the API follows the same switch."""
    user = login_as("member")
    response = client.post("/api/v1/_test/echo", json={})
    assert response.status_code == 200
    assert response.get_json()["data"]["employee_no"] == user.employee_no


# --- finding 3: tokens expire, may be read-only, and need the password to be created -----------------


def test_finding3_expired_token_is_401_with_a_message(client, create_user):
    import time_machine

    from app.core import clock

    user = create_user()
    _token, plain = services.issue_api_token(user, "短期", actor=user, days=30)
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 200
    with time_machine.travel(clock.utcnow() + timedelta(days=30, minutes=1)):
        assert_json_error(client.get("/api/v1/me", headers=bearer(plain)), 401, "已过期")


def test_finding3_every_token_expires_by_default(create_user, app):
    from app.core import clock

    user = create_user()
    token, _plain = services.issue_api_token(user, "默认", actor=user)
    assert token.expires_at - clock.utcnow() <= timedelta(days=app.config["API_TOKEN_DAYS"])


@pytest.mark.usefixtures("echo_route")
def test_finding3_read_only_token_reads_but_never_writes(client, create_user):
    user = create_user()
    _token, plain = services.issue_api_token(user, "只读", actor=user, read_only=True)
    db.session.commit()
    assert client.get("/api/v1/_test/echo", headers=bearer(plain)).status_code == 200
    assert client.head("/api/v1/me", headers=bearer(plain)).status_code == 200
    assert_json_error(client.post("/api/v1/_test/echo", json={}, headers=bearer(plain)), 403, "只读")


def test_finding3_tokens_page_asks_for_the_password_and_shows_expiry_and_scope(client, login_as):
    login_as("member")
    response = client.post("/account/tokens", data={"name": "无密码", "days": "90"})
    assert response.status_code == 422
    assert "请输入登录密码" in response.get_data(as_text=True)
    response = client.post("/account/tokens", data={"name": "错密码", "days": "90", "password": "Nope-1234x"})
    assert response.status_code == 422
    assert "密码不正确" in response.get_data(as_text=True)
    response = client.post(
        "/account/tokens", data={"name": "怪期限", "days": "9999", "password": "Passw0rd-test"}
    )
    assert response.status_code == 422
    assert count_tokens() == 0

    response = client.post(
        "/account/tokens", data={"name": "报表", "days": "30", "read_only": "y", "password": "Passw0rd-test"}
    )
    assert response.status_code == 200
    stored = db.session.scalars(sa.select(ApiToken).where(ApiToken.name == "报表")).one()
    assert stored.is_read_only
    assert timedelta(days=29) < stored.expires_at - stored.created_at <= timedelta(days=30)
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert "只读" in listing
    assert "过期时间" in listing


def count_tokens() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken))


@pytest.mark.usefixtures("echo_route")
def test_finding3_cli_token_takes_days_and_read_only(runner, client, create_user):
    create_user(employee_no="CLIRO01")
    result = runner.invoke(args=["users", "token", "CLIRO01", "--days", "30", "--read-only"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert client.post("/api/v1/_test/echo", json={}, headers=bearer(token)).status_code == 403


# --- finding 8: the forced password change holds on the API too ------------------------------------


def test_finding8_must_change_password_holds_on_the_api_with_a_session(client, create_user):
    user = services.create_user(
        services.UserData(employee_no="APIACT1", name="待激活"), ["member"], actor=None
    )
    code = services.issue_activation_code(user, actor=None, days=14)
    db.session.commit()
    assert client.post("/login", data={"identifier": "APIACT1", "password": code}).status_code == 302
    assert_json_error(client.get("/api/v1/me"), 403, "请先在网页上设置新密码")
    assert_json_error(client.get("/api/v1/courses"), 403)


def test_finding8_must_change_password_holds_on_the_api_with_a_token(client, token_user, create_user):
    user, _old = token_user
    services.set_password(
        db.session.get(type(user), user.id), "Reset-by-admin1", actor=create_user("admin"), must_change=True
    )
    _token, token = services.issue_api_token(user, "重置后", actor=None)  # e.g. `flask users token`
    db.session.commit()
    assert_json_error(client.get("/api/v1/me", headers=bearer(token)), 403, "请先在网页上设置新密码")


@pytest.mark.parametrize("how", ["reset", "own change", "everywhere"])
def test_review_a_token_does_not_outlive_a_password_reset_or_logging_out_everywhere(
    client, token_user, create_user, how
):
    user, token = token_user
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    member = db.session.get(type(user), user.id)
    if how == "reset":
        services.set_password(member, "Reset-by-admin1", actor=create_user("admin"), must_change=True)
    elif how == "own change":
        services.set_password(member, "Changed-by-me-7", actor=member)
    else:
        services.end_all_sessions(member, member, "在所有设备上退出")
    db.session.commit()
    assert_json_error(client.get("/api/v1/me", headers=bearer(token)), 401)
