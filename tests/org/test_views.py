"""The branch pages: admins edit the tree, coordinators browse their subtree, and no page runs N+1."""

import sqlalchemy as sa

from app.core.models import AuditEntry
from app.extensions import db
from app.org.models import Branch, BranchKind
from tests.helpers import count


def branch_named(name: str) -> Branch | None:
    db.session.expire_all()
    return db.session.scalars(sa.select(Branch).where(Branch.name == name)).first()


def test_admin_creates_a_nested_branch(client, login_as, org_tree):
    login_as("admin")
    form = client.get(f"/org/branches/new?parent={org_tree['a'].id}").get_data(as_text=True)
    assert f'<option selected value="{org_tree["a"].id}">' in form
    response = client.post(
        "/org/branches/new", data={"name": "机关第三党支部", "kind": "branch", "parent_id": org_tree["a"].id}
    )
    assert response.status_code == 302
    assert "已创建组织「机关第三党支部」" in client.get("/org/branches").get_data(as_text=True)
    created = branch_named("机关第三党支部")
    assert created.parent_id == org_tree["a"].id
    assert created.path == f"{org_tree['a'].path}{created.id}/"
    assert count(AuditEntry, AuditEntry.action == "branch.create", AuditEntry.target_id == created.id) == 1


def test_admin_creates_a_top_level_branch(client, login_as):
    login_as("admin")
    client.post("/org/branches/new", data={"name": "子公司党委", "kind": "committee", "parent_id": 0})
    created = branch_named("子公司党委")
    assert (created.parent_id, created.depth, created.kind) == (None, 0, BranchKind.COMMITTEE)


def test_duplicate_sibling_name_is_shown_on_the_form(client, login_as, org_tree):
    login_as("admin")
    response = client.post(
        "/org/branches/new", data={"name": "机关第一党支部", "kind": "branch", "parent_id": org_tree["a"].id}
    )
    assert response.status_code == 422
    assert "同一上级下已有名为「机关第一党支部」的组织" in response.get_data(as_text=True)
    assert count(Branch, Branch.name == "机关第一党支部") == 1


def test_admin_moves_a_branch_and_its_subtree_follows(client, login_as, org_tree):
    login_as("admin")
    a = org_tree["a"]
    response = client.post(
        f"/org/branches/{a.id}/edit",
        data={"name": "机关党总支", "kind": "general_branch", "parent_id": org_tree["b"].id},
    )
    assert response.status_code == 302
    moved = branch_named("机关第二党支部")
    assert moved.path.startswith(org_tree["b"].path)
    assert moved.depth == 3


def test_edit_form_does_not_offer_the_branch_or_its_descendants_as_parent(client, login_as, org_tree):
    login_as("admin")
    page = client.get(f"/org/branches/{org_tree['a'].id}/edit").get_data(as_text=True)
    parent_select = page.split('name="parent_id"', 1)[1].split("</select>", 1)[0]
    assert "生产党总支" in parent_select
    assert "机关第一党支部" not in parent_select
    assert "机关党总支" not in parent_select


def test_moving_under_a_descendant_is_refused(client, login_as, org_tree):
    login_as("admin")
    a = org_tree["a"]
    response = client.post(
        f"/org/branches/{a.id}/edit",
        data={"name": "机关党总支", "kind": "general_branch", "parent_id": org_tree["a1"].id},
    )
    assert response.status_code == 422
    assert branch_named("机关党总支").parent_id == org_tree["root"].id


def test_deleting_from_the_page(client, login_as, org_tree, create_user):
    login_as("admin")
    create_user("member", branch=org_tree["b1"])
    client.post(f"/org/branches/{org_tree['a'].id}/delete")
    assert "下还有下级组织，不能删除" in client.get("/org/branches").get_data(as_text=True)
    client.post(f"/org/branches/{org_tree['b1'].id}/delete")
    assert "下还有成员" in client.get("/org/branches").get_data(as_text=True)
    client.post(f"/org/branches/{org_tree['a2'].id}/delete")
    assert "已删除组织" in client.get("/org/branches").get_data(as_text=True)
    assert branch_named("机关第二党支部") is None
    assert branch_named("生产运行党支部") is not None


def test_coordinator_browses_only_their_subtree(client, login_as, org_tree, create_user):
    create_user("member", branch=org_tree["a1"])
    create_user("member", branch=org_tree["b1"])
    login_as("coordinator", branch=org_tree["a"])
    page = client.get("/org/branches").get_data(as_text=True)
    assert "机关第一党支部" in page
    assert "机关第二党支部" in page
    assert "生产" not in page
    assert "公司党委" not in page
    assert "新建组织" not in page
    assert client.get(f"/org/branches/{org_tree['a1'].id}/edit").status_code == 403


def test_unknown_branch_is_404_for_admins(client, login_as):
    login_as("admin")
    assert client.get("/org/branches/999999/edit").status_code == 404
    assert client.post("/org/branches/999999/delete").status_code == 404


# --- no query per row ---------------------------------------------------------------------------


def queries_for(client, count_queries, url) -> int:
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


def test_member_list_runs_the_same_queries_for_5_or_30_members(
    client, login_as, org_tree, create_user, count_queries
):
    login_as("coordinator", branch=org_tree["a"])
    for i in range(4):
        create_user("member", branch=org_tree["a1" if i % 2 else "a2"])
    few = queries_for(client, count_queries, "/users")
    for i in range(25):
        create_user("member", "trainer", branch=org_tree["a1" if i % 2 else "a2"])
    many = queries_for(client, count_queries, "/users")
    page = client.get("/users").get_data(as_text=True)
    assert page.count('href="/users/') >= 20  # a full page of members was rendered
    assert many == few


def test_branch_page_runs_the_same_queries_for_few_or_many_branches(
    client, login_as, org_tree, create_branch, create_user, count_queries
):
    login_as("coordinator", branch=org_tree["a"])
    create_user("member", branch=org_tree["a1"])
    few = queries_for(client, count_queries, "/org/branches")
    for i in range(12):
        branch = create_branch(f"机关第{i + 3}党支部", org_tree["a"])
        create_user("member", branch=branch)
    many = queries_for(client, count_queries, "/org/branches")
    assert "机关第14党支部" in client.get("/org/branches").get_data(as_text=True)
    assert many == few


def test_home_page_of_a_coordinator_runs_the_same_queries_for_more_branches(
    client, login_as, org_tree, create_branch, count_queries
):
    login_as("coordinator", branch=org_tree["a"])
    few = queries_for(client, count_queries, "/")
    for i in range(8):
        create_branch(f"机关第{i + 3}党支部", org_tree["a"])
    assert queries_for(client, count_queries, "/") == few
