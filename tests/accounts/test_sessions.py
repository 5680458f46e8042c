"""Finding 3: login sessions are recorded on the server and can be ended, even from a copied cookie."""

from datetime import timedelta

import sqlalchemy as sa
import time_machine

from app.accounts import services
from app.accounts.models import LoginSession
from app.core import clock
from app.extensions import db
from tests.conftest import PASSWORD
from tests.helpers import count

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1"


def log_in(client, user, password=PASSWORD, remember=False, **kwargs):
    data = {"identifier": user.employee_no, "password": password}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data, **kwargs)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def copy_cookies(source, target) -> None:
    """What a thief does with cookies read off someone's browser."""
    for name in ("session", "remember_token"):
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def signed_in(client) -> bool:
    response = client.get("/")
    return response.status_code == 200 and 'data-testid="greeting"' in response.get_data(as_text=True)


def another_client(app):
    return app.test_client()


def test_finding3_copied_cookies_are_refused_after_logout(app, client, create_user):
    user = create_user()
    log_in(client, user, remember=True)
    thief = another_client(app)
    copy_cookies(client, thief)
    assert signed_in(thief)

    client.post("/logout")
    response = thief.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert not signed_in(thief)
    # The remember-me cookie alone does not sign back in either.
    thief.delete_cookie("session")
    assert not signed_in(thief)
    # Nor does the API accept the copied session.
    assert thief.get("/api/v1/me").status_code == 401


def test_finding3_copied_cookies_are_refused_after_a_password_change(app, client, create_user):
    user = create_user()
    log_in(client, user, remember=True)
    thief = another_client(app)
    copy_cookies(client, thief)

    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "Another-2026q", "confirm": "Another-2026q"},
    )
    assert response.status_code == 302
    assert signed_in(client)  # the browser that changed it stays signed in, on a new session
    assert not signed_in(thief)
    thief.delete_cookie("session")
    assert not signed_in(thief)


def test_finding3_log_out_everywhere_ends_every_session_and_copied_cookie(app, client, create_user):
    user = create_user()
    phone, thief = another_client(app), another_client(app)
    log_in(phone, user, remember=True)
    log_in(client, user)
    copy_cookies(phone, thief)
    assert signed_in(phone)
    assert signed_in(thief)

    response = client.post("/account/sessions/end-all")
    assert response.headers["Location"] == "/login"
    for browser in (client, phone, thief):
        assert not signed_in(browser)
    thief.delete_cookie("session")
    assert not signed_in(thief)
    assert count(LoginSession, LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None)) == 0
    log_in(client, user)  # and the owner can log in again
    assert signed_in(client)


def has_session(client) -> bool:
    """Signed in, even if only allowed onto the password page (after a reset)."""
    return client.get("/account/password").status_code == 200


def test_finding3_admin_reset_and_disabling_end_the_members_sessions(app, client, create_user, login):
    member = create_user()
    member_browser = another_client(app)
    log_in(member_browser, member, remember=True)
    assert has_session(member_browser)
    login(create_user("admin"))

    client.post(f"/users/{member.id}/password", data={"new_password": "Reset-2026abc"})
    assert not has_session(member_browser)
    member_browser.delete_cookie("session")
    assert not has_session(member_browser)

    log_in(member_browser, member, password="Reset-2026abc", remember=True)
    assert has_session(member_browser)
    client.post(f"/users/{member.id}/active", data={"active": "0"})
    client.post(f"/users/{member.id}/active", data={"active": "1"})
    assert not has_session(member_browser)
    member_browser.delete_cookie("session")  # only the remember-me cookie left
    assert not has_session(member_browser)


def test_finding3_remember_cookie_is_random_per_login_and_stored_hashed(app, client, create_user):
    user = create_user()
    values = []
    for _ in range(2):
        browser = another_client(app)
        log_in(browser, user, remember=True)
        values.append(browser.get_cookie("remember_token").value)
    assert values[0] != values[1]
    token = values[0].split("|")[0].rsplit(":", 1)[1]
    hashes = db.session.scalars(
        sa.select(LoginSession.token_hash).where(LoginSession.user_id == user.id)
    ).all()
    assert LoginSession.hash_token(token) in hashes
    assert token not in hashes


def test_finding3_remember_cookie_lives_the_configured_days(app, client, create_user):
    user = create_user()
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)
    log_in(client, user, remember=True)
    remember = client.get_cookie("remember_token")
    assert remember.expires is not None
    with time_machine.travel(clock.utcnow() + timedelta(days=15)):
        replay = another_client(app)
        replay.set_cookie("remember_token", remember.value)  # a cookie jar that ignores expiry
        assert not signed_in(replay)
    with time_machine.travel(clock.utcnow() + timedelta(days=13)):
        replay = another_client(app)
        replay.set_cookie("remember_token", remember.value)
        assert signed_in(replay)


def test_finding3_a_session_without_remember_me_ends_after_hours_of_idleness(app, client, create_user):
    user = create_user()
    log_in(client, user)
    stolen = stolen_user_id(app, client.get_cookie("session").value)
    policy = services.LoginPolicy.from_config(app.config)
    assert services.user_for_session(stolen, policy)[0].id == user.id
    with time_machine.travel(
        clock.utcnow() + app.config["PERMANENT_SESSION_LIFETIME"] + timedelta(minutes=1)
    ):
        # Refused by the server's own record, whatever a re-signed cookie would say.
        assert services.user_for_session(stolen, policy)[0] is None


def stolen_user_id(app, cookie_value: str) -> str:
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.loads(cookie_value)["_user_id"]


def test_finding3_sessions_page_lists_devices_and_ends_one(app, client, create_user):
    user = create_user()
    phone = another_client(app)
    log_in(phone, user, headers={"User-Agent": IPHONE}, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    log_in(client, user)
    page = client.get("/account/sessions").get_data(as_text=True)
    assert "iPhone" in page
    assert "10.1.2.3" in page
    assert 'data-testid="this-device"' in page
    assert page.count('/end" class="d-inline"') == 2  # one "退出此设备" per device

    phone_row = db.session.scalars(
        sa.select(LoginSession).where(LoginSession.user_id == user.id, LoginSession.ip == "10.1.2.3")
    ).one()
    assert client.post(f"/account/sessions/{phone_row.id}/end").status_code == 302
    assert not signed_in(phone)
    assert signed_in(client)
    assert "iPhone" not in client.get("/account/sessions").get_data(as_text=True)


def test_finding3_nobody_ends_someone_elses_session(app, client, create_user):
    victim, attacker = create_user(), create_user()
    victim_browser = another_client(app)
    log_in(victim_browser, victim)
    log_in(client, attacker)
    row = db.session.scalars(sa.select(LoginSession).where(LoginSession.user_id == victim.id)).one()
    assert client.post(f"/account/sessions/{row.id}/end").status_code == 404
    assert client.post("/account/sessions/99999999/end").status_code == 404
    assert signed_in(victim_browser)


def test_finding3_a_cookie_session_cannot_mint_an_api_token_without_the_password(app, client, create_user):
    from app.accounts.models import ApiToken

    user = create_user()
    log_in(client, user)
    thief = another_client(app)
    copy_cookies(client, thief)
    for data in ({"name": "偷来的"}, {"name": "偷来的", "days": "365", "password": "guess-1234a"}):
        response = thief.post("/account/tokens", data=data)
        assert response.status_code == 422
        assert 'data-testid="new-token"' not in response.get_data(as_text=True)
    assert count(ApiToken, ApiToken.user_id == user.id) == 0
    response = client.post("/account/tokens", data={"name": "脚本", "days": "30", "password": PASSWORD})
    assert response.status_code == 200
    assert 'data-testid="new-token"' in response.get_data(as_text=True)


def test_finding3_last_seen_is_written_at_most_once_a_minute(app, client, create_user, count_queries):
    user = create_user()
    with time_machine.travel(clock.utcnow(), tick=False) as traveller:
        log_in(client, user)
        row = db.session.scalars(sa.select(LoginSession).where(LoginSession.user_id == user.id)).one()
        started = row.last_seen_at
        with count_queries() as statements:
            client.get("/account")
        assert not [s for s in statements if s.startswith("UPDATE login_session")]
        traveller.shift(timedelta(minutes=2))
        client.get("/account")
        db.session.expire_all()
        assert db.session.get(LoginSession, row.id).last_seen_at > started


def test_finding_a_session_id_whose_user_id_is_not_an_id_is_refused_before_any_query(
    app, client, create_user, count_queries
):
    """``str.isdigit`` let ``²`` or ``٣`` through as a user id: a forged session id cost a lookup
    before being refused. The user id is read the way every typed id is, by ``id_from``."""
    user = create_user()
    log_in(client, user)
    _, nonce, token = stolen_user_id(app, client.get_cookie("session").value).split(":", 2)
    policy = services.LoginPolicy.from_config(app.config)
    for forged in ("²", "٣", str(2**64), "-1", "1.0"):
        with count_queries() as statements:
            assert services.user_for_session(f"{forged}:{nonce}:{token}", policy) == (None, False)
        assert statements == [], forged
    padded = f" {user.id}:{nonce}:{token}"  # an id, but not the one the server wrote: refused too
    assert services.user_for_session(padded, policy) == (None, False)
