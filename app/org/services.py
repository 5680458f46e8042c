"""The branch tree and coordinator scope.

Scope rule used everywhere: an admin sees the whole organisation; a coordinator sees their own
branch and everything under it; anyone else sees no one but themselves.
"""

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import MemberCategory, Role, User
from app.core import audit
from app.core.errors import DomainError
from app.core.urls import id_from
from app.extensions import db
from app.org.models import Branch, BranchKind


class BranchError(DomainError):
    """A problem the user caused, with a message in Chinese."""


# --- the tree -----------------------------------------------------------------------------------


def _check_name(name: str, parent_id: int | None, branch_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise BranchError(_("组织名称不能为空"))
    if len(name) > 100:
        raise BranchError(_("组织名称不能超过 100 个字"))
    same_parent = Branch.parent_id.is_(None) if parent_id is None else Branch.parent_id == parent_id
    query = sa.select(Branch.id).where(Branch.name == name, same_parent)
    if branch_id is not None:
        query = query.where(Branch.id != branch_id)
    if db.session.scalar(query) is not None:
        raise BranchError(_("同一上级下已有名为「%(name)s」的组织", name=name))
    return name


def create_branch(name: str, kind: BranchKind | str, parent: Branch | None, actor: User | None) -> Branch:
    name = _check_name(name, parent.id if parent else None)
    branch = Branch(
        name=name, kind=BranchKind(kind), parent=parent, depth=(parent.depth + 1) if parent else 0
    )
    db.session.add(branch)
    db.session.flush()  # the id is part of the path
    branch.path = f"{parent.path if parent else '/'}{branch.id}/"
    db.session.flush()
    audit.record(actor, "branch.create", branch, f"创建组织 {name}")
    return branch


def update_branch(
    branch: Branch, name: str, kind: BranchKind | str, parent: Branch | None, actor: User
) -> Branch:
    """Rename, re-kind or move a branch; moving rewrites the paths of its whole subtree in one UPDATE."""
    name = _check_name(name, parent.id if parent else None, branch.id)
    if parent is not None and branch.contains(parent):
        raise BranchError(_("不能把组织移动到它自己或它的下级组织之下"))
    old_path, old_parent_id = branch.path, branch.parent_id
    branch.name = name
    branch.kind = BranchKind(kind)
    if (parent.id if parent else None) != old_parent_id:
        new_path = f"{parent.path if parent else '/'}{branch.id}/"
        depth_change = ((parent.depth + 1) if parent else 0) - branch.depth
        db.session.execute(
            sa.update(Branch)
            .where(Branch.subtree_filter(old_path))
            .values(
                path=sa.literal(new_path) + sa.func.substr(Branch.path, len(old_path) + 1),
                depth=Branch.depth + depth_change,
            )
            .execution_options(synchronize_session=False)
        )
        branch.parent_id = parent.id if parent else None
        db.session.flush()
        db.session.expire_all()
        audit.record(actor, "branch.move", branch, f"移动组织 {name}", {"from": old_path, "to": new_path})
    else:
        db.session.flush()
        audit.record(actor, "branch.update", branch, f"修改组织 {name}")
    return branch


def check_position(latitude, longitude, required: bool = True) -> tuple[Decimal | None, Decimal | None]:
    """Coordinates (WGS-84 degrees) as typed on a form: both or, when not ``required``, neither."""
    if latitude is None and longitude is None and not required:
        return None, None
    if latitude is None or longitude is None:
        raise BranchError(_("请同时填写纬度和经度"), field="latitude")
    if not (-90 <= latitude <= 90):
        raise BranchError(_("纬度须在 -90 到 90 之间"), field="latitude")
    if not (-180 <= longitude <= 180):
        raise BranchError(_("经度须在 -180 到 180 之间"), field="longitude")
    step = Decimal("0.000001")
    return Decimal(latitude).quantize(step), Decimal(longitude).quantize(step)


def set_branch_location(
    branch: Branch, address: str, latitude, longitude, contact_phone: str, actor: User
) -> Branch:
    """Where the branch is on the red map, and its public contact number."""
    branch.latitude, branch.longitude = check_position(latitude, longitude, required=False)
    branch.address = (address or "").strip()[:200]
    branch.contact_phone = (contact_phone or "").strip()[:32]
    db.session.flush()
    audit.record(actor, "branch.location", branch, f"修改组织地址 {branch.name}")
    return branch


def delete_branch(branch: Branch, actor: User) -> None:
    if db.session.scalar(sa.select(sa.func.count()).where(Branch.parent_id == branch.id)):
        raise BranchError(_("「%(name)s」下还有下级组织，不能删除", name=branch.name))
    if db.session.scalar(sa.select(sa.func.count()).where(User.branch_id == branch.id)):
        raise BranchError(_("「%(name)s」下还有成员，请先调出成员再删除", name=branch.name))
    audit.record(actor, "branch.delete", branch, f"删除组织 {branch.name}")
    db.session.delete(branch)
    db.session.flush()


def branch_tree() -> list[Branch]:
    """Every branch in depth-first order (parents before children), for trees and select boxes."""
    return list(db.session.scalars(sa.select(Branch).order_by(Branch.path)))


def ordered_tree(branches: list[Branch]) -> list[Branch]:
    """Branches in display order: each parent followed by its children by sort order, then id."""
    by_parent: dict[int | None, list[Branch]] = {}
    for b in branches:
        by_parent.setdefault(b.parent_id, []).append(b)
    ids = {b.id for b in branches}
    roots = [b for b in branches if b.parent_id not in ids]
    out: list[Branch] = []

    def walk(nodes):
        for node in sorted(nodes, key=lambda b: (b.sort_order, b.id)):
            out.append(node)
            walk(by_parent.get(node.id, []))

    walk(roots)
    return out


def find_branch(reference: str) -> Branch | list[Branch] | None:
    """Resolve a branch written in a spreadsheet: an id, a full path ``公司党委/机关党总支/第一党支部``
    or a name. Returns the branch, ``None`` when unknown, or the candidates when a name is ambiguous."""
    reference = (reference or "").strip()
    if not reference:
        return None
    if reference.isascii() and reference.isdigit():
        branch_id = id_from(reference)
        return db.session.get(Branch, branch_id) if branch_id else None
    return resolve_branch_reference(reference, branch_tree())


def resolve_branch_reference(reference: str, branches: list[Branch]) -> Branch | list[Branch] | None:
    """Like :func:`find_branch`, against a preloaded list (bulk imports resolve thousands of rows)."""
    parts = [p.strip() for p in reference.replace("／", "/").split("/") if p.strip()]
    if not parts:
        return None
    by_id = {b.id: b for b in branches}

    def full_names(b: Branch) -> list[str]:
        return [by_id[i].name for i in b.ancestor_ids if i in by_id]

    candidates = [b for b in branches if b.name == parts[-1]]
    if len(parts) > 1:
        candidates = [b for b in candidates if full_names(b)[-len(parts) :] == parts]
    if not candidates:
        return None
    return candidates[0] if len(candidates) == 1 else candidates


def branch_label(branch: Branch, by_id: dict[int, Branch]) -> str:
    return " / ".join(by_id[i].name for i in branch.ancestor_ids if i in by_id)


# --- scope --------------------------------------------------------------------------------------


def scope_path(user: User) -> str | None:
    """The path prefix of what ``user`` may manage: ``""`` for everything, ``None`` for nothing."""
    if user.is_admin:
        return ""
    if user.has_role(Role.COORDINATOR) and user.branch is not None:
        return user.branch.path
    return None


def can_manage_branch(user: User, branch: Branch) -> bool:
    prefix = scope_path(user)
    return prefix is not None and branch.path.startswith(prefix)


def can_view_member(user: User, member: User) -> bool:
    if user.id == member.id or user.is_admin:  # admins also see accounts not (yet) in any branch
        return True
    return member.branch is not None and can_manage_branch(user, member.branch)


def visible_branches(user: User) -> list[Branch]:
    prefix = scope_path(user)
    if prefix is None:
        return []
    query = sa.select(Branch).order_by(Branch.path)
    if prefix:
        query = query.where(Branch.subtree_filter(prefix))
    return list(db.session.scalars(query))


def members_query(
    user: User, branch: Branch | None = None, search: str | None = None, category: str | None = None
):
    """A select of the members ``user`` may see, optionally narrowed to ``branch``'s subtree."""
    prefix = scope_path(user)
    if prefix is None:
        raise Forbidden()
    query = sa.select(User).outerjoin(Branch, User.branch_id == Branch.id)
    if branch is not None:
        if not can_manage_branch(user, branch):
            raise Forbidden()
        query = query.where(Branch.subtree_filter(branch.path))
    elif prefix:
        query = query.where(Branch.subtree_filter(prefix))
    if search:
        like = f"%{search.strip()}%"
        query = query.where(sa.or_(User.name.like(like), User.employee_no.like(like), User.mobile.like(like)))
    if category in MemberCategory._value2member_map_:  # an unknown value filters nothing, never a 500
        query = query.where(User.category == MemberCategory(category))
    return query.order_by(Branch.path, User.employee_no)


def get_branch_for(branch_id: int, user: User) -> Branch:
    """Load a branch ``user`` may manage: 404 when it does not exist (or cannot be an id: callers pass
    what a query string held), 403 when out of scope."""
    branch = db.session.get(Branch, branch_id) if id_from(branch_id) else None
    if branch is None:
        raise NotFound()
    if not can_manage_branch(user, branch):
        raise Forbidden()
    return branch


def get_member_for(user_id: int, user: User) -> User:
    """Load a member ``user`` may see: 404 when missing, 403 when outside their scope."""
    member = db.session.get(User, user_id)
    if member is None:
        raise NotFound()
    if not can_view_member(user, member):
        raise Forbidden()
    return member


def containing(branches_by_id: dict[int, Branch], path: str) -> list[Branch]:
    """Of ``branches_by_id``, those whose subtree holds the node at ``path`` (it and its ancestors):
    how per-branch counts from one grouped query are rolled up the tree."""
    return [branches_by_id[i] for i in Branch.ids_in_path(path) if i in branches_by_id]


def branch_member_counts(user: User) -> list[dict]:
    """Per visible branch: members directly in it, and in its whole subtree, by category — one query."""
    branches = visible_branches(user)
    if not branches:
        return []
    rows = db.session.execute(
        sa.select(Branch.path, User.category, sa.func.count(User.id))
        .join(User, User.branch_id == Branch.id)
        .where(Branch.subtree_filter(branches[0].path) if scope_path(user) else sa.true())
        .group_by(Branch.path, User.category)
    ).all()
    summary = {b.id: {"branch": b, "total": 0, "by_category": {}} for b in ordered_tree(branches)}
    by_id = {b.id: b for b in branches}
    for path, category, count in rows:
        key = category.value if category else "none"
        for b in containing(by_id, path):
            summary[b.id]["total"] += count
            summary[b.id]["by_category"][key] = summary[b.id]["by_category"].get(key, 0) + count
    return list(summary.values())


def active_member_counts(prefix: str) -> dict[int, int]:
    """Active members directly in each branch under ``prefix`` (``""``: everywhere) — one grouped query."""
    query = (
        sa.select(User.branch_id, sa.func.count(User.id))
        .join(Branch, Branch.id == User.branch_id)
        .where(User.is_active_account.is_(True))
        .group_by(User.branch_id)
    )
    if prefix:
        query = query.where(Branch.subtree_filter(prefix))
    return dict(db.session.execute(query).all())
