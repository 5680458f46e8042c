"""``flask users create`` and ``flask users token``."""

import sqlalchemy as sa

from app.accounts.models import ApiToken, Role, User
from app.extensions import db


def created(employee_no: str) -> User | None:
    db.session.expire_all()
    return db.session.scalars(sa.select(User).where(User.employee_no == employee_no)).first()


def test_create_with_two_roles_and_a_branch_path_then_log_in(runner, client, org_tree):
    result = runner.invoke(
        args=[
            "users", "create", "C9001", "--name", "组织员甲", "--role", "coordinator", "--role", "trainer",
            "--branch", "公司党委/机关党总支", "--password", "Cli-pass-2026",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "已创建 组织员甲(C9001)，角色：讲师、组织员" in result.output
    user = created("C9001")
    assert result.output.strip().splitlines()[-1] == str(user.id)
    assert user.roles == {Role.COORDINATOR, Role.TRAINER}
    assert user.branch_id == org_tree["a"].id
    assert not user.must_change_password

    response = client.post("/login", data={"identifier": "C9001", "password": "Cli-pass-2026"})
    assert response.status_code == 302
    assert client.get("/users").status_code == 200


def test_create_defaults_to_a_member_and_takes_a_unique_branch_name(runner, org_tree):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "M9001",
            "--name",
            "党员乙",
            "--branch",
            "设备检修党支部",
            "--password",
            "Cli-pass-2026",
        ]
    )
    assert result.exit_code == 0, result.output
    user = created("M9001")
    assert user.roles == {Role.MEMBER}
    assert user.branch_id == org_tree["b2"].id


def test_create_refuses_an_unknown_or_ambiguous_branch(runner, org_tree, create_branch):
    create_branch("第一党支部", org_tree["a"])
    create_branch("第一党支部", org_tree["b"])
    for branch in ("不存在", "第一党支部"):
        result = runner.invoke(
            args=[
                "users",
                "create",
                "X9001",
                "--name",
                "某人",
                "--branch",
                branch,
                "--password",
                "Cli-pass-2026",
            ]
        )
        assert result.exit_code == 1
        assert f"找不到唯一的组织「{branch}」" in result.output
    assert created("X9001") is None


def test_create_refuses_a_weak_password(runner):
    result = runner.invoke(args=["users", "create", "X9002", "--name", "某人", "--password", "password"])
    assert result.exit_code == 1
    assert "密码须同时包含字母和数字" in result.output
    assert created("X9002") is None


def test_create_refuses_a_taken_employee_number_and_a_bad_one(runner, create_user):
    create_user(employee_no="TAKEN1")
    result = runner.invoke(
        args=["users", "create", "TAKEN1", "--name", "某人", "--password", "Cli-pass-2026"]
    )
    assert result.exit_code == 1
    assert "工号 TAKEN1 已被使用" in result.output
    result = runner.invoke(
        args=["users", "create", "有 空格", "--name", "某人", "--password", "Cli-pass-2026"]
    )
    assert result.exit_code == 1
    assert "工号须为" in result.output


def test_create_refuses_an_unknown_role_and_missing_options(runner):
    result = runner.invoke(
        args=["users", "create", "X9003", "--name", "某人", "--role", "boss", "--password", "Cli-pass-2026"]
    )
    assert result.exit_code == 2
    assert "boss" in result.output
    result = runner.invoke(args=["users", "create", "X9003", "--name", "某人"])
    assert result.exit_code == 2
    assert "--password" in result.output
    assert created("X9003") is None


def test_token_prints_a_working_token_on_its_last_line(runner, client, create_user):
    user = create_user(employee_no="TOK001", name="脚本用户")
    result = runner.invoke(args=["users", "token", "TOK001", "--name", "夜间同步"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("hk_")
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json()["data"]["employee_no"] == "TOK001"
    stored = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert stored.name == "夜间同步"
    assert token not in (stored.token_hash, stored.prefix)  # only a hash is kept


def test_token_for_an_unknown_user(runner):
    result = runner.invoke(args=["users", "token", "NOBODY"])
    assert result.exit_code == 1
    assert "找不到工号为 NOBODY 的用户" in result.output


def test_create_takes_a_branch_id(runner, org_tree):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "M9002",
            "--name",
            "党员丙",
            "--branch",
            str(org_tree["b1"].id),
            "--password",
            "Cli-pass-2026",
        ]
    )
    assert result.exit_code == 0, result.output
    assert created("M9002").branch_id == org_tree["b1"].id
