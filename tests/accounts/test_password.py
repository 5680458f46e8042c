"""Changing one's password, the password policy, and admin password resets."""

import pytest
import sqlalchemy as sa

from app.accounts import passwords
from app.core.models import AuditEntry
from app.extensions import db
from tests.conftest import PASSWORD


def change(client, current, new, confirm=None):
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm": new if confirm is None else confirm,
        },
    )


def can_log_in(client, user, password) -> bool:
    client.post("/logout")
    return (
        client.post("/login", data={"identifier": user.employee_no, "password": password}).status_code == 302
    )


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Ab1", "至少 8 位"),
        ("abcdefgh", "字母和数字"),
        ("12345678", "字母和数字"),
        ("a1" * 65, "不能超过 128 位"),
        ("Hongke2026", None),
        ("党课学习2026abc", None),
    ],
)
def test_password_policy(password, problem):
    found = passwords.password_problem(password)
    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_hashes_are_argon2id_and_verify(app):
    hashed = passwords.hash_password("Hongke2026")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "Hongke2026")
    assert not passwords.verify_password(hashed, "Hongke2027")
    assert not passwords.verify_password("not-a-hash", "Hongke2026")


def test_change_password_page_shows_the_policy(client, login_as):
    login_as("member")
    page = client.get("/account/password").get_data(as_text=True)
    assert "至少 8 位，须同时包含字母和数字" in page


def test_wrong_current_password_is_refused(client, login_as):
    user = login_as("member")
    response = change(client, "Not-my-passw0rd", "Brand-new-2026")
    assert response.status_code == 422
    assert "当前密码不正确" in response.get_data(as_text=True)
    assert can_log_in(client, user, PASSWORD)
    assert not can_log_in(client, user, "Brand-new-2026")


@pytest.mark.parametrize(
    ("new_password", "message"),
    [("abcdefghij", "密码须同时包含字母和数字"), ("1234567890", "密码须同时包含字母和数字"), ("short1", "8")],
)
def test_weak_new_password_is_refused(client, login_as, new_password, message):
    user = login_as("member")
    response = change(client, PASSWORD, new_password)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert can_log_in(client, user, PASSWORD)


def test_confirmation_must_match(client, login_as):
    login_as("member")
    response = change(client, PASSWORD, "Brand-new-2026", confirm="Brand-new-2027")
    assert response.status_code == 422
    assert "两次输入的密码不一致" in response.get_data(as_text=True)


def test_new_password_must_differ_from_the_current_one(client, login_as):
    login_as("member")
    response = change(client, PASSWORD, PASSWORD)
    assert response.status_code == 422
    assert "新密码不能与当前密码相同" in response.get_data(as_text=True)


def test_changing_the_password(client, login_as):
    user = login_as("member")
    response = change(client, PASSWORD, "Brand-new-2026")
    assert response.status_code == 302
    assert "密码已修改" in client.get("/").get_data(as_text=True)
    assert not can_log_in(client, user, PASSWORD)
    assert can_log_in(client, user, "Brand-new-2026")


def test_admin_reset_forces_a_change_at_next_login(client, create_user, login):
    member = create_user("member")
    login(create_user("admin"))
    response = client.post(f"/users/{member.id}/password", data={"new_password": "Reset-by-admin-1"})
    assert response.status_code == 302
    assert "密码已重置" in client.get(response.headers["Location"]).get_data(as_text=True)
    client.post("/logout")

    assert (
        client.post("/login", data={"identifier": member.employee_no, "password": PASSWORD}).status_code
        == 401
    )
    login(member, "Reset-by-admin-1")
    assert client.get("/").headers["Location"] == "/account/password"
    assert change(client, "Reset-by-admin-1", "Mine-again-2026").status_code == 302
    assert client.get("/").status_code == 200
    db.session.refresh(member)
    assert member.must_change_password is False


def test_admin_reset_with_a_weak_password_is_refused(client, create_user, login):
    member = create_user("member")
    login(create_user("admin"))
    response = client.post(f"/users/{member.id}/password", data={"new_password": "abcdefgh"})
    assert "密码须同时包含字母和数字" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert can_log_in(client, member, PASSWORD)


def test_audit_tells_a_change_from_a_reset(client, create_user, login):
    admin = create_user("admin")
    login(admin)
    change(client, PASSWORD, "Admin-own-2026")
    member = create_user("member")
    client.post(f"/users/{member.id}/password", data={"new_password": "Reset-by-admin-1"})
    entries = db.session.execute(
        sa.select(AuditEntry.target_id, AuditEntry.summary)
        .where(AuditEntry.action == "user.password")
        .order_by(AuditEntry.id)
    ).all()
    assert entries == [(admin.id, "修改密码"), (member.id, "重置密码")]
