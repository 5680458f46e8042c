"""The branch tree: materialised paths, subtree queries, moves, deletes and coordinator scope."""

import pytest
import sqlalchemy as sa

from app.accounts.models import User
from app.core.models import AuditEntry
from app.extensions import db
from app.org import services
from app.org.models import Branch, BranchKind
from tests.helpers import count


def subtree_ids(path: str) -> set[int]:
    return set(db.session.scalars(sa.select(Branch.id).where(Branch.subtree_filter(path))))


def fresh(branch: Branch) -> Branch:
    db.session.expire_all()
    return db.session.get(Branch, branch.id)


def audit_actions(branch: Branch) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.target_type == "branch", AuditEntry.target_id == branch.id)
            .order_by(AuditEntry.id)
        )
    )


def test_nested_branches_get_paths_and_depths(org_tree, create_branch):
    root, a, a1 = org_tree["root"], org_tree["a"], org_tree["a1"]
    deep = create_branch("第一党小组", a1, "branch")
    assert root.path == f"/{root.id}/"
    assert a.path == f"/{root.id}/{a.id}/"
    assert deep.path == f"/{root.id}/{a.id}/{a1.id}/{deep.id}/"
    assert [root.depth, a.depth, a1.depth, deep.depth] == [0, 1, 2, 3]
    assert deep.ancestor_ids == [root.id, a.id, a1.id, deep.id]
    assert a.contains(deep)
    assert not org_tree["b"].contains(deep)
    assert audit_actions(deep) == ["branch.create"]


def test_subtree_is_exactly_the_node_and_its_descendants(org_tree):
    t = org_tree
    assert subtree_ids(t["a"].path) == {t["a"].id, t["a1"].id, t["a2"].id}
    assert subtree_ids(t["b1"].path) == {t["b1"].id}
    assert subtree_ids(t["root"].path) == {b.id for b in t.values()}


def test_subtree_does_not_confuse_id_1_with_ids_10_and_11():
    """A naive ``LIKE '/1%'`` would take /10/ and /11/ for children of /1/."""
    rows = [
        (1, None, "/1/", 0),
        (5, 1, "/1/5/", 1),
        (12, 1, "/1/12/", 1),
        (10, None, "/10/", 0),
        (11, None, "/11/", 0),
        (110, 11, "/11/110/", 1),
        (105, 10, "/10/105/", 1),
    ]
    for branch_id, parent_id, path, depth in rows:
        db.session.add(
            Branch(
                id=branch_id,
                name=f"组织{branch_id}",
                kind=BranchKind.BRANCH,
                parent_id=parent_id,
                path=path,
                depth=depth,
            )
        )
        db.session.flush()
    assert subtree_ids("/1/") == {1, 5, 12}
    assert subtree_ids("/10/") == {10, 105}
    assert subtree_ids("/11/") == {11, 110}
    assert subtree_ids("/1/5/") == {5}
    one, eleven = db.session.get(Branch, 1), db.session.get(Branch, 110)
    assert not one.contains(eleven)
    assert db.session.get(Branch, 11).contains(eleven)


def test_members_query_uses_the_subtree(org_tree, create_user):
    coordinator = create_user("coordinator", branch=org_tree["a"])
    inside = create_user("member", branch=org_tree["a2"])
    outside = create_user("member", branch=org_tree["b1"])
    ids = set(db.session.scalars(services.members_query(coordinator).with_only_columns(User.id)))
    assert {coordinator.id, inside.id} <= ids
    assert outside.id not in ids


def test_moving_a_branch_rewrites_its_whole_subtree(org_tree, create_branch, create_user):
    t = org_tree
    group = create_branch("第一党小组", t["a1"])
    member = create_user("member", branch=group)
    admin = create_user("admin")

    services.update_branch(fresh(t["a"]), "机关党总支", "general_branch", fresh(t["b"]), actor=admin)
    db.session.commit()

    a, a1, a2, group = fresh(t["a"]), fresh(t["a1"]), fresh(t["a2"]), fresh(group)
    root, b = t["root"], t["b"]
    assert a.parent_id == b.id
    assert a.path == f"/{root.id}/{b.id}/{a.id}/"
    assert a1.path == f"/{root.id}/{b.id}/{a.id}/{a1.id}/"
    assert a2.path == f"/{root.id}/{b.id}/{a.id}/{a2.id}/"
    assert group.path == f"/{root.id}/{b.id}/{a.id}/{a1.id}/{group.id}/"
    assert [a.depth, a1.depth, a2.depth, group.depth] == [2, 3, 3, 4]
    assert subtree_ids(b.path) == {b.id, t["b1"].id, t["b2"].id, a.id, a1.id, a2.id, group.id}
    # The rest of the tree is untouched.
    assert fresh(t["b1"]).path == f"/{root.id}/{b.id}/{t['b1'].id}/"
    # Members follow their branch: the coordinator of b now sees them.
    coordinator = create_user("coordinator", branch=b)
    assert services.can_view_member(coordinator, db.session.get(User, member.id))

    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "branch.move", AuditEntry.target_id == a.id)
    ).one()
    assert entry.actor_id == admin.id
    assert entry.details == {"from": f"/{root.id}/{t['a'].id}/", "to": a.path}


def test_moving_a_branch_to_the_top_level(org_tree, create_user):
    a1 = fresh(org_tree["a1"])
    services.update_branch(a1, "机关第一党支部", "branch", None, actor=create_user("admin"))
    db.session.commit()
    a1 = fresh(org_tree["a1"])
    assert (a1.parent_id, a1.path, a1.depth) == (None, f"/{a1.id}/", 0)


def test_cannot_move_a_branch_under_itself_or_its_descendant(org_tree, create_user):
    admin = create_user("admin")
    for new_parent in ("a", "a1"):
        with pytest.raises(services.BranchError, match="不能把组织移动到它自己或它的下级组织之下"):
            services.update_branch(
                fresh(org_tree["a"]), "机关党总支", "general_branch", fresh(org_tree[new_parent]), admin
            )
    db.session.rollback()
    assert fresh(org_tree["a"]).parent_id == org_tree["root"].id


def test_renaming_without_moving_keeps_paths(org_tree, create_user):
    a = fresh(org_tree["a"])
    old_path = a.path
    services.update_branch(a, "机关党委", "committee", fresh(org_tree["root"]), actor=create_user("admin"))
    db.session.commit()
    a = fresh(org_tree["a"])
    assert (a.name, a.kind, a.path) == ("机关党委", BranchKind.COMMITTEE, old_path)
    assert audit_actions(a)[-1] == "branch.update"


def test_sibling_names_are_unique_but_cousins_may_share_one(org_tree, create_branch):
    with pytest.raises(services.BranchError, match="同一上级下已有名为「机关第一党支部」的组织"):
        create_branch("机关第一党支部", org_tree["a"])
    with pytest.raises(services.BranchError, match="同一上级下已有名为「公司党委」的组织"):
        create_branch(" 公司党委 ")
    db.session.rollback()
    cousin = create_branch("机关第一党支部", org_tree["b"])
    assert cousin.parent_id == org_tree["b"].id


def test_renaming_onto_a_sibling_name_is_refused(org_tree, create_user):
    with pytest.raises(services.BranchError):
        services.update_branch(
            fresh(org_tree["a2"]), "机关第一党支部", "branch", fresh(org_tree["a"]), create_user("admin")
        )


def test_moving_next_to_a_namesake_is_refused(org_tree, create_branch, create_user):
    create_branch("机关第一党支部", org_tree["b"])
    with pytest.raises(services.BranchError):
        services.update_branch(
            fresh(org_tree["a1"]), "机关第一党支部", "branch", fresh(org_tree["b"]), create_user("admin")
        )


def test_empty_name_is_refused(create_branch):
    with pytest.raises(services.BranchError, match="组织名称不能为空"):
        create_branch("   ")


def test_cannot_delete_a_branch_with_children_or_members(org_tree, create_user):
    admin = create_user("admin")
    with pytest.raises(services.BranchError, match="下还有下级组织"):
        services.delete_branch(fresh(org_tree["a"]), admin)
    create_user("member", branch=org_tree["a1"])
    with pytest.raises(services.BranchError, match="下还有成员"):
        services.delete_branch(fresh(org_tree["a1"]), admin)
    db.session.rollback()
    assert count(Branch, Branch.id.in_([org_tree["a"].id, org_tree["a1"].id])) == 2


def test_deleting_an_empty_branch_is_audited(org_tree, create_user):
    admin = create_user("admin")
    a2_id = org_tree["a2"].id
    services.delete_branch(fresh(org_tree["a2"]), admin)
    db.session.commit()
    assert db.session.get(Branch, a2_id) is None
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "branch.delete", AuditEntry.target_id == a2_id)
    ).one()
    assert entry.actor_id == admin.id
    assert "机关第二党支部" in entry.summary


def test_find_branch_by_id_path_or_unique_name(org_tree, create_branch):
    assert services.find_branch(str(org_tree["a1"].id)) == org_tree["a1"]
    assert services.find_branch("公司党委/生产党总支/设备检修党支部") == org_tree["b2"]
    assert services.find_branch("生产党总支／设备检修党支部") == org_tree["b2"]
    assert services.find_branch("设备检修党支部") == org_tree["b2"]
    assert services.find_branch("公司党委/机关党总支/设备检修党支部") is None
    assert services.find_branch("") is None
    create_branch("设备检修党支部", org_tree["a"])
    assert isinstance(services.find_branch("设备检修党支部"), list)


def test_scope_helpers(org_tree, create_user):
    t = org_tree
    admin = create_user("admin")
    coordinator = create_user("coordinator", branch=t["a"])
    member = create_user("member", branch=t["a1"])
    trainer = create_user("trainer", branch=t["a1"])
    assert services.scope_path(admin) == ""
    assert services.scope_path(coordinator) == t["a"].path
    assert services.scope_path(member) is None
    assert services.scope_path(trainer) is None
    assert [b.id for b in services.visible_branches(coordinator)] == [t["a"].id, t["a1"].id, t["a2"].id]
    assert services.visible_branches(member) == []
    assert services.can_manage_branch(coordinator, t["a2"])
    assert not services.can_manage_branch(coordinator, t["b1"])
    assert not services.can_manage_branch(coordinator, t["root"])
    assert services.can_view_member(member, member)
    assert not services.can_view_member(member, trainer)
    assert services.can_view_member(coordinator, member)
    assert services.can_view_member(admin, member)


def test_branch_member_counts_add_up_the_subtree(org_tree, create_user):
    t = org_tree
    for branch in ("a1", "a1", "a2", "b1"):
        create_user("member", branch=t[branch])
    coordinator = create_user("coordinator", branch=t["a"])
    totals = {row["branch"].id: row["total"] for row in services.branch_member_counts(coordinator)}
    assert totals == {t["a"].id: 4, t["a1"].id: 2, t["a2"].id: 1}
    admin = create_user("admin", branch=t["root"])
    totals = {row["branch"].id: row["total"] for row in services.branch_member_counts(admin)}
    assert totals[t["root"].id] == 6
    assert totals[t["b"].id] == 1
