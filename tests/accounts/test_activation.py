"""Finding 8: imported accounts start with a random one-time activation code, not the mobile's digits."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine
from openpyxl import Workbook

from app.accounts import services
from app.accounts.importing import COLUMNS, import_members
from app.accounts.models import ImportJob, User
from app.accounts.passwords import CODE_ALPHABET
from app.core import clock
from app.core.models import AuditEntry
from app.extensions import db
from tests.accounts.helpers import slip_codes
from tests.helpers import count

A1_PATH = "公司党委/机关党总支/机关第一党支部"


def members_file(path, numbers):
    wb = Workbook()
    wb.active.append(COLUMNS)
    for n in numbers:
        wb.active.append([f"ACT{n:04d}", f"激活{n}", f"1370000{n:04d}", A1_PATH, "", "", "", ""])
    wb.save(path)
    return path


def sign_in(client, identifier, password):
    return client.post("/login", data={"identifier": identifier, "password": password})


def by_no(employee_no) -> User:
    db.session.expire_all()
    return db.session.scalars(sa.select(User).where(User.employee_no == employee_no)).one()


def upload(client, path):
    with open(path, "rb") as handle:
        return client.post(
            "/users/import", data={"file": (handle, path.name)}, content_type="multipart/form-data"
        )


def test_finding8_imported_members_get_random_codes_stored_only_as_hashes(tmp_path, org_tree, client):
    report = import_members(members_file(tmp_path / "m.xlsx", [1, 2, 3]), "m.xlsx", None)
    db.session.commit()
    codes = report.activation_codes
    assert len(set(codes.values())) == 3
    for employee_no, code in codes.items():
        assert re.fullmatch(f"[{CODE_ALPHABET}]{{10}}", code)
        member = by_no(employee_no)
        assert member.password_hash is None
        assert member.activation_code_hash not in (None, code)
        assert code not in member.activation_code_hash
    # The mobile's last six digits (a login name, known to colleagues) no longer open the account.
    assert sign_in(client, "13700000001", "000001").status_code == 401
    assert sign_in(client, "ACT0001", codes["ACT0001"].lower()).status_code == 302  # typed in lower case


def test_finding8_the_code_opens_only_the_password_page_then_is_used_up(tmp_path, org_tree, client):
    code = import_members(members_file(tmp_path / "m.xlsx", [4]), "m.xlsx", None).activation_codes["ACT0004"]
    db.session.commit()
    assert sign_in(client, "ACT0004", code).status_code == 302
    assert client.get("/records/my").headers["Location"] == "/account/password"
    api = client.get("/api/v1/me")
    assert api.status_code == 403
    assert "请先在网页上设置新密码" in api.get_json()["errors"][0]["message"]
    client.post(
        "/account/password",
        data={"current_password": code, "new_password": "Own-pass-2026", "confirm": "Own-pass-2026"},
    )
    assert client.get("/api/v1/me").status_code == 200
    client.post("/logout")

    response = sign_in(client, "ACT0004", code)
    assert response.status_code == 401
    assert "该激活码已经使用过" in response.get_data(as_text=True)


def test_finding8_an_expired_code_is_refused_with_a_message(tmp_path, org_tree, client, app):
    code = import_members(members_file(tmp_path / "m.xlsx", [5]), "m.xlsx", None).activation_codes["ACT0005"]
    db.session.commit()
    with time_machine.travel(clock.utcnow() + timedelta(days=app.config["ACTIVATION_CODE_DAYS"], minutes=1)):
        response = sign_in(client, "ACT0005", code)
    assert response.status_code == 401
    assert "激活码已过期" in response.get_data(as_text=True)
    assert sign_in(client, "ACT0005", "ABCDEFGHJK").status_code == 401


def test_finding8_web_import_shows_the_slips_once_to_the_importing_coordinator(
    tmp_path, org_tree, client, login_as, create_user, login
):
    coordinator = login_as("coordinator", branch=org_tree["a"])
    job_url = upload(client, members_file(tmp_path / "web.xlsx", [6, 7])).headers["Location"]
    status_page = client.get(job_url).get_data(as_text=True)
    slips_url = job_url + "/slips"
    assert f'href="{slips_url}"' in status_page
    assert "只能查看一次" in client.get(slips_url).get_data(as_text=True)

    # Nobody else, not even an admin, may open them.
    client.post("/logout")
    login(create_user("admin"))
    assert client.post(slips_url).status_code == 403
    client.post("/logout")
    login(coordinator)

    response = client.post(slips_url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "之后无法再次查看" in page
    assert "@media print" in page
    codes = slip_codes(response)
    assert set(codes) == {"ACT0006", "ACT0007"}
    assert "激活6" in page
    assert "有效期至" in page

    # Gone for good: the secret the codes were derived from is erased.
    again = client.post(slips_url).get_data(as_text=True)
    assert 'data-testid="slip-code"' not in again
    assert 'data-testid="slips-gone"' in again
    job = db.session.get(ImportJob, int(job_url.rsplit("/", 1)[1]))
    assert job.slip_secret is None
    assert count(AuditEntry, AuditEntry.action == "user.import.slips", AuditEntry.target_id == job.id) == 1

    client.post("/logout")
    assert sign_in(client, "ACT0006", codes["ACT0006"]).status_code == 302


def test_finding8_coordinator_issues_a_new_code_and_the_old_one_dies(
    tmp_path, org_tree, client, login_as, create_user
):
    old = import_members(members_file(tmp_path / "m.xlsx", [8]), "m.xlsx", None).activation_codes["ACT0008"]
    db.session.commit()
    member = by_no("ACT0008")
    login_as("coordinator", branch=org_tree["a"])
    assert "生成新的激活码" in client.get(f"/users/{member.id}").get_data(as_text=True)
    response = client.post(f"/users/{member.id}/activation-code")
    assert response.status_code == 200
    new = slip_codes(response)["ACT0008"]
    assert new != old
    assert (
        count(AuditEntry, AuditEntry.action == "user.activation_code", AuditEntry.target_id == member.id) == 1
    )
    client.post("/logout")
    assert sign_in(client, "ACT0008", old).status_code == 401
    assert sign_in(client, "ACT0008", new).status_code == 302


def test_finding8_no_new_code_outside_ones_scope_or_for_an_activated_member(
    org_tree, client, login_as, create_user
):
    outsider = services.create_user(
        services.UserData(employee_no="OUT001", name="外支部", branch_id=org_tree["b1"].id),
        ["member"],
        actor=None,
    )
    activated = create_user("member", branch=org_tree["a1"])
    db.session.commit()
    login_as("coordinator", branch=org_tree["a"])
    assert client.post(f"/users/{outsider.id}/activation-code").status_code in (403, 404)
    assert by_no("OUT001").activation_code_hash is None
    response = client.post(f"/users/{activated.id}/activation-code", follow_redirects=True)
    assert "该成员已设置密码" in response.get_data(as_text=True)
    client.post("/logout")
    login_as("member", branch=org_tree["a1"])
    assert client.post(f"/users/{activated.id}/activation-code").status_code == 403


def test_finding8_cli_import_prints_each_new_members_code_once(runner, org_tree, tmp_path, client):
    result = runner.invoke(args=["users", "import", str(members_file(tmp_path / "cli.xlsx", [9]))])
    assert result.exit_code == 0, result.output
    code = re.search(r"ACT0009\t([A-Z0-9]{10})", result.output).group(1)
    db.session.expire_all()
    assert sign_in(client, "ACT0009", code).status_code == 302


def test_finding8_cli_activation_code_command(runner, org_tree, client):
    services.create_user(services.UserData(employee_no="CLIACT1", name="命令行"), ["member"], actor=None)
    db.session.commit()
    result = runner.invoke(args=["users", "activation-code", "CLIACT1"])
    assert result.exit_code == 0, result.output
    assert sign_in(client, "CLIACT1", result.output.strip().splitlines()[-1]).status_code == 302


@pytest.mark.parametrize("roles", [["admin"], ["coordinator", "member"], ["trainer", "member"]])
def test_review_a_coordinator_cannot_open_a_privileged_account_with_a_code(org_tree, client, login_as, roles):
    """Whoever holds the code holds the account: a not-yet-activated admin in one's branch was takeable."""
    target = services.create_user(
        services.UserData(employee_no="PRV001", name="未激活", branch_id=org_tree["a1"].id), roles, actor=None
    )
    db.session.commit()
    login_as("coordinator", branch=org_tree["a"])
    response = client.post(f"/users/{target.id}/activation-code")
    assert response.status_code == 403
    assert by_no("PRV001").activation_code_hash is None


def test_review_an_admin_may_issue_a_code_for_a_new_trainer(org_tree, client, login_as):
    target = services.create_user(
        services.UserData(employee_no="PRV002", name="新讲师", branch_id=org_tree["a1"].id),
        ["trainer", "member"],
        actor=None,
    )
    db.session.commit()
    login_as("admin", branch=org_tree["root"])
    assert client.post(f"/users/{target.id}/activation-code").status_code == 200
    assert by_no("PRV002").activation_code_hash is not None
