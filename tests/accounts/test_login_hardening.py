"""Finding 9: login answers tell nothing about which accounts exist, nobody can lock the owner out,
and guessable passwords are refused."""

import re

import pytest

from app.accounts import passwords
from app.accounts.passwords import password_problem
from tests.conftest import PASSWORD

ATTACKER = {"REMOTE_ADDR": "10.66.0.1"}
OWNER = {"REMOTE_ADDR": "10.7.0.2"}


class VerifySpy:
    """Wraps the Argon2 hasher and counts verifications."""

    def __init__(self, hasher):
        self.hasher, self.calls = hasher, 0

    def verify(self, *args):
        self.calls += 1
        return self.hasher.verify(*args)

    def __getattr__(self, name):
        return getattr(self.hasher, name)


@pytest.fixture
def verify_spy(monkeypatch):
    spy = VerifySpy(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", spy)
    return spy


def post_login(client, identifier, password, environ=ATTACKER):
    return client.post("/login", data={"identifier": identifier, "password": password}, environ_base=environ)


def test_finding9_argon2_runs_for_unknown_accounts_too(client, create_user, verify_spy):
    user = create_user()
    post_login(client, "NO-SUCH-USER", "Guess-2026a")
    assert verify_spy.calls == 1
    post_login(client, user.employee_no, "Guess-2026a")
    assert verify_spy.calls == 2
    post_login(client, "13999999999", "Guess-2026a")  # an unknown mobile, too
    assert verify_spy.calls == 3


def _comparable(response, identifier: str) -> bytes:
    body = response.get_data(as_text=True).replace(identifier, "«login»")
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]*"', r"\1", body).encode()


def test_finding9_unknown_account_and_wrong_password_answer_byte_for_byte_alike(app, create_user):
    user = create_user()
    real, ghost = app.test_client(), app.test_client()
    for attempt in range(1, 12):
        mine = post_login(real, user.employee_no, f"Wrong-{attempt}a")
        theirs = post_login(ghost, "GHOST01", f"Wrong-{attempt}a")
        assert mine.status_code == theirs.status_code, attempt
        assert _comparable(mine, user.employee_no) == _comparable(theirs, "GHOST01"), attempt
        assert "再错" not in mine.get_data(as_text=True)
    assert mine.status_code == 429  # both sources wait, for the real and the unknown name alike


def test_finding9_nobody_can_lock_the_owner_out(client, app, create_user):
    user = create_user()
    attacker = app.test_client()
    for attempt in range(app.config["LOGIN_MAX_FAILURES"] + 3):
        post_login(attacker, user.employee_no, f"Wrong-{attempt}a")
    assert post_login(attacker, user.employee_no, PASSWORD).status_code == 429
    # The owner, from their own network, logs straight in.
    assert post_login(client, user.employee_no, PASSWORD, environ=OWNER).status_code == 302


@pytest.mark.parametrize(
    "password", ["password1", "12345678a", "Password123", "1qaz2wsx", "woaini1314", "qwerty123", "Abcd1234"]
)
def test_finding9_common_passwords_are_refused(password):
    assert "常见" in password_problem(password)


def test_finding9_the_members_own_login_names_are_refused():
    assert "工号" in password_problem("Zhang2026ab", employee_no="zhang2026AB")
    assert "工号" in password_problem("zz-E10001-zz9", employee_no="E10001")
    assert "手机号" in password_problem("13812345678a", mobile="13812345678")
    assert password_problem("Red-lesson-2026", employee_no="E10001", mobile="13812345678") is None


def test_finding9_change_password_page_refuses_a_weak_or_personal_password(client, create_user, login):
    user = create_user(mobile="13812340000")
    login(user)
    for weak, message in (
        ("password1", "常见"),
        ("x13812340000y", "手机号"),
        (f"{user.employee_no}abc", "工号"),
    ):
        response = client.post(
            "/account/password", data={"current_password": PASSWORD, "new_password": weak, "confirm": weak}
        )
        assert response.status_code == 422, weak
        assert message in response.get_data(as_text=True), weak


def test_finding9_cli_user_create_refuses_a_common_password(runner):
    result = runner.invoke(args=["users", "create", "CLI9", "--name", "张三", "--password", "password1"])
    assert result.exit_code != 0
    assert "常见" in result.output


def test_review_the_old_initial_password_inside_a_new_one_is_refused():
    assert "后六位" in password_problem("Abc-123456-x", mobile="13900123456")
    assert password_problem("Abc-123457-x", mobile="13900123456") is None
