"""``flask seed-demo``: a believable organisation, safe to run twice, whose demo logins all work."""

import pytest
import sqlalchemy as sa

from app.accounts.models import Role, User, UserRole
from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.org.models import Branch, BranchKind
from tests.helpers import count


@pytest.fixture
def demo(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def holders(role: Role) -> list[User]:
    return list(db.session.scalars(sa.select(User).join(UserRole).where(UserRole.role == role)))


def test_seed_demo_builds_the_organisation(demo):
    kinds = dict(db.session.execute(sa.select(Branch.kind, sa.func.count()).group_by(Branch.kind)).all())
    assert kinds == {BranchKind.COMMITTEE: 1, BranchKind.GENERAL_BRANCH: 3, BranchKind.BRANCH: 12}
    committee = db.session.scalars(sa.select(Branch).where(Branch.kind == BranchKind.COMMITTEE)).one()
    assert committee.name == "公司党委"
    for general in db.session.scalars(sa.select(Branch).where(Branch.kind == BranchKind.GENERAL_BRANCH)):
        assert general.parent_id == committee.id
        assert count(Branch, Branch.parent_id == general.id) == 4

    assert 280 <= count(User) <= 320
    assert len(holders(Role.TRAINER)) == 5
    assert len(holders(Role.ADMIN)) == 1
    coordinators = holders(Role.COORDINATOR)
    assert len(coordinators) == 3
    assert sorted(c.branch.kind for c in coordinators) == [BranchKind.GENERAL_BRANCH] * 3
    assert len({c.branch_id for c in coordinators}) == 3


def test_demo_members_look_real(demo):
    members = list(db.session.scalars(sa.select(User).where(User.employee_no.like("E%"))))
    assert len(members) > 250
    assert all(2 <= len(m.name) <= 3 for m in members)
    assert len({m.name for m in members}) > 200
    assert len({m.mobile for m in members}) == len(members)
    assert {m.category for m in members} >= {"full", "probationary", "activist"}
    assert all(m.branch.kind == BranchKind.BRANCH for m in members)


def test_seed_demo_prints_the_demo_logins(demo):
    assert f"密码均为 {DEMO_PASSWORD}" in demo
    for employee_no in ("admin", "C0001", "T0001", "M0001"):
        assert employee_no in demo


def test_seed_demo_twice_is_idempotent(demo, runner):
    users, branches = count(User), count(Branch)
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "新增 0 个账户" in result.output
    db.session.expire_all()
    assert (count(User), count(Branch)) == (users, branches)


@pytest.mark.parametrize(
    ("employee_no", "panel", "absent"),
    [
        ("admin", "admin-panel", None),
        ("C0001", "coordinator-panel", "admin-panel"),
        ("T0001", "trainer-panel", "coordinator-panel"),
        ("M0001", "member-panel", "trainer-panel"),
    ],
)
def test_each_demo_role_logs_in_and_sees_its_panel(demo, client, employee_no, panel, absent):
    response = client.post("/login", data={"identifier": employee_no, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert f'data-testid="{panel}"' in page
    if absent:
        assert f'data-testid="{absent}"' not in page


def test_demo_coordinator_sees_only_their_general_branch(demo, client):
    client.post("/login", data={"identifier": "C0001", "password": DEMO_PASSWORD})
    page = client.get("/org/branches").get_data(as_text=True)
    assert "机关第一党支部" in page
    assert "生产运行党支部" not in page
    members = client.get("/api/v1/branches").get_json()["data"]
    assert {b["name"] for b in members} == {
        "机关党总支",
        "机关第一党支部",
        "机关第二党支部",
        "财务审计党支部",
        "人力资源党支部",
    }
