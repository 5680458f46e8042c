"""Logging in and out: login names, wrong passwords, account lock, per-IP limit, redirects."""

from datetime import timedelta
from urllib.parse import quote

import pytest
import time_machine

from app.accounts import services
from app.accounts.models import LoginFailure, User
from app.core import clock
from app.extensions import db
from tests.conftest import PASSWORD
from tests.helpers import config_set, count


def post_login(client, identifier, password, next_url=None, **kwargs):
    url = "/login" + (f"?next={quote(next_url, safe='')}" if next_url is not None else "")
    return client.post(url, data={"identifier": identifier, "password": password}, **kwargs)


def is_signed_in(client) -> bool:
    """True if the home page shows a signed-in page rather than sending the visitor to log in."""
    response = client.get("/")
    return response.status_code == 200 and 'data-testid="greeting"' in response.get_data(as_text=True)


def test_login_page_is_in_chinese(client):
    page = client.get("/login").get_data(as_text=True)
    assert "用工号或手机号登录" in page
    assert 'lang="zh-CN"' in page


def test_login_with_employee_number(client, create_user):
    user = create_user(name="王红")
    response = post_login(client, user.employee_no, PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "您好，王红" in page


def test_login_with_mobile_number(client, create_user):
    user = create_user(mobile="13912345678")
    response = post_login(client, "13912345678", PASSWORD)
    assert response.status_code == 302
    assert is_signed_in(client)
    db.session.refresh(user)
    assert user.last_login_at is not None


def test_login_with_mobile_written_with_spaces_and_country_code(client, create_user):
    create_user(mobile="13912345679")
    assert post_login(client, "+86 139 1234 5679", PASSWORD).status_code == 302


def test_wrong_password_is_refused_with_a_chinese_message(client, create_user):
    user = create_user()
    response = post_login(client, user.employee_no, "Wrong-passw0rd")
    assert response.status_code == 401
    assert "账号或密码错误" in response.get_data(as_text=True)
    assert not is_signed_in(client)
    db.session.refresh(user)
    assert user.failed_logins == 1


def test_unknown_login_name_gets_the_same_message(client):
    response = post_login(client, "NOBODY", "whatever1")
    assert response.status_code == 401
    assert "账号或密码错误" in response.get_data(as_text=True)


def test_empty_form_is_a_422_with_field_messages(client):
    response = client.post("/login", data={"identifier": "", "password": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请输入工号或手机号" in page
    assert "请输入密码" in page


def test_signed_in_user_visiting_login_goes_home(client, create_user, login):
    login(create_user())
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_logout_is_a_post_and_ends_the_session(client, create_user, login):
    login(create_user())
    assert client.get("/logout").status_code == 405
    assert is_signed_in(client)
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "您已退出登录" in client.get("/login").get_data(as_text=True)
    assert not is_signed_in(client)


def test_pages_need_a_login_and_come_back_after_it(client, create_user):
    user = create_user("coordinator")
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    response = client.post(
        response.headers["Location"], data={"identifier": user.employee_no, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"


# --- account lock -------------------------------------------------------------------------------


def test_ten_wrong_passwords_make_that_source_wait_until_the_wait_expires(client, create_user, app):
    user = create_user()
    assert app.config["LOGIN_MAX_FAILURES"] == 10
    with time_machine.travel(clock.utcnow(), tick=False) as traveller:
        for attempt in range(1, 10):
            response = post_login(client, user.employee_no, f"Wrong-{attempt}")
            assert response.status_code == 401, attempt

        response = post_login(client, user.employee_no, "Wrong-10")
        assert response.status_code == 429
        assert "请 1 分钟后再试" in response.get_data(as_text=True)

        # The right password does not get through the wait, from this source.
        response = post_login(client, user.employee_no, PASSWORD)
        assert response.status_code == 429
        assert "请 1 分钟后再试" in response.get_data(as_text=True)
        assert not is_signed_in(client)

        traveller.shift(timedelta(minutes=1, seconds=1))
        response = post_login(client, user.employee_no, PASSWORD)
        assert response.status_code == 302
        assert is_signed_in(client)
    db.session.refresh(user)
    assert user.failed_logins == 0
    assert user.locked_until is None


def test_review_a_wait_on_the_employee_number_says_nothing_about_the_mobile(client, create_user):
    """Counting both login names of an account together told a guesser that they belong together:
    the wait is per login name as typed (and per source), like an unknown name's."""
    user = create_user(mobile="13700000001")
    for attempt in range(10):
        post_login(client, user.employee_no, f"Wrong-{attempt}")
    assert post_login(client, user.employee_no, "Wrong-again").status_code == 429
    wrong = post_login(client, "13700000001", "Wrong-mobile")
    unknown = post_login(client, "13700000999", "Wrong-mobile")
    assert wrong.status_code == unknown.status_code == 401
    # The mobile spelt another way is the same login name.
    for attempt in range(10):
        post_login(client, "+86 137-0000-0001", f"Wrong-{attempt}")
    assert post_login(client, "13700000001", PASSWORD).status_code == 429


def test_wrong_password_after_a_wait_doubles_the_next_wait(client, create_user, app):
    user = create_user()
    with time_machine.travel(clock.utcnow(), tick=False) as traveller:
        for attempt in range(10):
            post_login(client, user.employee_no, f"Wrong-{attempt}")
        traveller.shift(timedelta(minutes=1, seconds=1))
        response = post_login(client, user.employee_no, "Wrong-again")
        assert response.status_code == 429
        assert "请 2 分钟后再试" in response.get_data(as_text=True)
        traveller.shift(timedelta(minutes=2, seconds=1))
        response = post_login(client, user.employee_no, "Wrong-once-more")
        assert "请 4 分钟后再试" in response.get_data(as_text=True)
        # Capped at LOGIN_LOCK_MINUTES.
        for minutes in (4, 8, 15):
            traveller.shift(timedelta(minutes=minutes, seconds=1))
            response = post_login(client, user.employee_no, "Wrong-again")
        assert f"请 {app.config['LOGIN_LOCK_MINUTES']} 分钟后再试" in response.get_data(as_text=True)


def test_successful_login_resets_the_failure_count(client, create_user):
    user = create_user()
    for attempt in range(9):
        post_login(client, user.employee_no, f"Wrong-{attempt}")
    assert post_login(client, user.employee_no, PASSWORD).status_code == 302
    client.post("/logout")
    # Nine more failures do not lock: the count started again from zero.
    for attempt in range(9):
        assert post_login(client, user.employee_no, f"Wrong-{attempt}").status_code == 401
    db.session.refresh(user)
    assert user.locked_until is None


def test_admin_unlocks_a_locked_account(client, create_user, login):
    user = create_user()
    for attempt in range(10):
        post_login(client, user.employee_no, f"Wrong-{attempt}")
    admin = create_user("admin")
    login(admin)
    assert "锁定至" in client.get(f"/users/{user.id}").get_data(as_text=True)
    assert client.post(f"/users/{user.id}/unlock").status_code == 302
    client.post("/logout")
    assert post_login(client, user.employee_no, PASSWORD).status_code == 302


# --- per-IP limit -------------------------------------------------------------------------------


def test_too_many_failures_from_one_address_answer_429(client, create_user, app):
    user = create_user()
    with config_set(app, LOGIN_IP_MAX_FAILURES=3):
        for attempt in range(3):
            assert post_login(client, f"GUESS{attempt}", "whatever1").status_code == 401
        response = post_login(client, user.employee_no, PASSWORD)
        assert response.status_code == 429
        assert "登录失败次数过多" in response.get_data(as_text=True)
        assert not is_signed_in(client)
        # Another address is not affected.
        other = post_login(client, user.employee_no, PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert other.status_code == 302


def test_the_per_address_limit_forgets_failures_after_its_window(client, create_user, app):
    user = create_user()
    with config_set(app, LOGIN_IP_MAX_FAILURES=2), time_machine.travel(clock.utcnow(), tick=False) as t:
        post_login(client, "GUESS1", "whatever1")
        post_login(client, "GUESS2", "whatever1")
        assert post_login(client, user.employee_no, PASSWORD).status_code == 429
        t.shift(timedelta(minutes=app.config["LOGIN_IP_WINDOW_MINUTES"] + 1))
        assert post_login(client, user.employee_no, PASSWORD).status_code == 302


def test_failed_logins_are_recorded_for_the_address_and_purged_later(client):
    post_login(client, "GUESS", "whatever1")
    assert count(LoginFailure, LoginFailure.identifier == "GUESS") == 1
    with time_machine.travel(clock.utcnow() + timedelta(days=2)):
        assert services.purge_login_failures(older_than=timedelta(days=1)) >= 1
    assert count(LoginFailure, LoginFailure.identifier == "GUESS") == 0


# --- disabled and imported accounts -------------------------------------------------------------


def test_disabled_account_cannot_log_in(client, create_user):
    user = create_user()
    services.set_user_active(user, False, actor=create_user("admin"))
    db.session.commit()
    response = post_login(client, user.employee_no, PASSWORD)
    assert response.status_code == 403
    assert "账户已停用" in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_disabling_an_account_ends_its_open_session(client, create_user, login):
    user = create_user()
    login(user)
    assert is_signed_in(client)
    services.set_user_active(db.session.get(User, user.id), False, actor=create_user("admin"))
    db.session.commit()
    assert not is_signed_in(client)


def _member_with_code(employee_no: str, mobile: str) -> str:
    user = services.create_user(
        services.UserData(employee_no=employee_no, name="导入成员", mobile=mobile), ["member"], actor=None
    )
    code = services.issue_activation_code(user, actor=None, days=14)
    db.session.commit()
    assert user.password_hash is None
    return code


def test_imported_account_logs_in_with_its_activation_code_and_must_change_it(client):
    code = _member_with_code("IMP001", "13600123456")

    assert post_login(client, "IMP001", "123456").status_code == 401  # no longer the mobile's digits
    assert post_login(client, "IMP001", code).status_code == 302
    for page in ("/", "/account", "/account/tokens"):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response.headers["Location"] == "/account/password"
    assert "请先设置新密码" in client.get("/account/password").get_data(as_text=True)

    response = client.post(
        "/account/password",
        data={"current_password": code, "new_password": "Hongke-2026a", "confirm": "Hongke-2026a"},
    )
    assert response.status_code == 302
    assert is_signed_in(client)

    client.post("/logout")
    assert post_login(client, "IMP001", code).status_code == 401
    assert post_login(client, "13600123456", "Hongke-2026a").status_code == 302
    assert is_signed_in(client)


def test_imported_account_can_still_log_out_before_changing_its_password(client):
    code = _member_with_code("IMP002", "13600123457")
    post_login(client, "IMP002", code)
    response = client.post("/logout")
    assert response.headers["Location"] == "/login"


# --- redirects after login ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.example",
        "//evil.example/login",
        "https://evil.example/",
        "http:evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "///evil.example",
        " //evil.example",
    ],
)
def test_login_never_redirects_off_site(client, create_user, next_url):
    user = create_user()
    response = post_login(client, user.employee_no, PASSWORD, next_url=next_url)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/", location


def test_login_follows_a_local_next(client, create_user):
    user = create_user("coordinator")
    response = post_login(client, user.employee_no, PASSWORD, next_url="/users?q=王")
    assert response.headers["Location"] == "/users?q=%E7%8E%8B"


def test_logout_also_forgets_remember_me(client, create_user):
    user = create_user()
    response = client.post(
        "/login", data={"identifier": user.employee_no, "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    assert client.get_cookie("remember_token") is not None
    client.post("/logout")
    assert client.get_cookie("remember_token") is None
    assert not is_signed_in(client)


def test_remember_me_keeps_a_user_signed_in_after_the_session_cookie_is_gone(client, create_user):
    user = create_user()
    client.post("/login", data={"identifier": user.employee_no, "password": PASSWORD, "remember": "y"})
    client.delete_cookie("session")
    assert is_signed_in(client)


def test_language_chosen_on_the_login_page_survives_login_and_logout(client, create_user):
    user = create_user()
    client.post("/lang/en", data={"next": "/login"})
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)
    post_login(client, user.employee_no, PASSWORD)
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
    client.post("/logout")
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)


def test_login_starts_a_new_session(client, create_user):
    """Nothing an anonymous visitor put in the session survives login (session fixation)."""
    user = create_user()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    post_login(client, user.employee_no, PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{user.id}:")  # "<id>:<auth nonce>:<session token>"
