"""CSRF protection on the forms, with protection switched on as in production."""

import pytest

from app.accounts.models import LoginFailure
from tests.conftest import PASSWORD
from tests.helpers import count, csrf_token_in

pytestmark = pytest.mark.usefixtures("csrf_enabled")

EXPIRED = "页面已过期或表单校验失败，请刷新页面后重新提交。"


def login_with_token(client, user):
    token = csrf_token_in(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login", data={"identifier": user.employee_no, "password": PASSWORD, "csrf_token": token}
    )


def test_login_without_a_token_is_refused_and_changes_nothing(client, create_user):
    user = create_user()
    client.get("/login")  # the session exists, only the token is missing from the form
    response = client.post("/login", data={"identifier": user.employee_no, "password": PASSWORD})
    assert response.status_code == 400
    assert EXPIRED in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still anonymous
    assert count(LoginFailure) == 0


def test_login_with_a_wrong_token_is_refused(client, create_user):
    user = create_user()
    client.get("/login")
    response = client.post(
        "/login", data={"identifier": user.employee_no, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 400
    assert EXPIRED in response.get_data(as_text=True)


def test_login_with_the_token_from_the_form_works(client, create_user):
    assert login_with_token(client, create_user()).status_code == 302
    assert client.get("/").status_code == 200


def test_logout_without_a_token_is_refused_and_keeps_the_session(client, create_user):
    login_with_token(client, create_user())
    response = client.post("/logout")
    assert response.status_code == 400
    assert EXPIRED in response.get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_logout_with_the_token_from_the_page_works(client, create_user):
    login_with_token(client, create_user())
    token = csrf_token_in(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_password_change_without_a_token_changes_nothing(client, create_user):
    user = create_user()
    login_with_token(client, user)
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "Brand-new-2026", "confirm": "Brand-new-2026"},
    )
    assert response.status_code == 400
    token = csrf_token_in(client.get("/").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    assert login_with_token(client, user).status_code == 302
