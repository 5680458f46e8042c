"""党小组: named groups of a 党支部's members, kept by those who run the branch (its 书记/副书记 or a
coordinator of its subtree). A meeting may expect "this 党小组"; compliance still counts the meeting
for its 党支部."""

# Services alike in shape to other domains' (load, check the rule, change, flush, audit, notify),
# kept apart: each checks its own rules and says so in its own words.

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts.models import User
from app.branchlife.models import Meeting, PartyGroup, PartyGroupMember
from app.branchlife.services.access import BranchLifeError, can_plan
from app.core import audit
from app.core.transactions import insert_in_savepoint
from app.extensions import db
from app.org.models import Branch, BranchKind

NAME_MAX = 60


def _require_runner(actor: User, branch: Branch | None) -> None:
    if branch is None or not can_plan(actor, branch):
        raise BranchLifeError(_("只有本支部书记、副书记或上级组织员可以管理党小组"), 403)


def groups_of(branch: Branch) -> list[PartyGroup]:
    return list(
        db.session.scalars(
            sa.select(PartyGroup).where(PartyGroup.branch_id == branch.id).order_by(PartyGroup.name)
        )
    )


def member_ids_of(group: PartyGroup) -> list[int]:
    """The active members of ``group`` (those who left the 党支部 are not expected any more)."""
    return list(
        db.session.scalars(
            sa.select(PartyGroupMember.user_id)
            .join(User, User.id == PartyGroupMember.user_id)
            .where(
                PartyGroupMember.group_id == group.id,
                User.branch_id == group.branch_id,
                User.is_active_account.is_(True),
            )
            .order_by(PartyGroupMember.user_id)
        )
    )


def group_of_branch(branch: Branch, group_id) -> PartyGroup:
    group = db.session.get(PartyGroup, group_id) if isinstance(group_id, int) else None
    if group is None or group.branch_id != branch.id:
        raise BranchLifeError(_("请选择本支部的党小组"), 422, "group")
    return group


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise BranchLifeError(_("请填写党小组名称"), 422, "name")
    if len(name) > NAME_MAX:
        raise BranchLifeError(_("党小组名称不能超过 %(max)s 个字", max=NAME_MAX), 422, "name")
    return name


def create_group(actor: User, branch: Branch, name: str) -> PartyGroup:
    _require_runner(actor, branch)
    if branch.kind != BranchKind.BRANCH:
        raise BranchLifeError(_("党小组设在党支部下"), 422, "branch")
    group = PartyGroup(branch_id=branch.id, name=_check_name(name))
    if not insert_in_savepoint(group):
        raise BranchLifeError(_("本支部已有名为「%(name)s」的党小组", name=group.name), 409, "name")
    audit.record(actor, "branchlife.group_create", group, f"设立党小组「{group.name}」（{branch.name}）")
    return group


def set_group_members(actor: User, group: PartyGroup, member_ids: list[int]) -> list[int]:
    """Make ``member_ids`` (active members of the group's 党支部) the group; a member in another
    党小组 moves to this one."""
    _require_runner(actor, group.branch)
    wanted = sorted({i for i in member_ids if isinstance(i, int)})
    found = (
        list(
            db.session.scalars(
                sa.select(User.id).where(
                    User.id.in_(wanted), User.branch_id == group.branch_id, User.is_active_account.is_(True)
                )
            )
        )
        if wanted
        else []
    )
    if len(found) != len(wanted):
        raise BranchLifeError(_("党小组成员须是本支部的党员"), 422, "member")
    db.session.execute(sa.delete(PartyGroupMember).where(PartyGroupMember.group_id == group.id))
    if wanted:
        db.session.execute(sa.delete(PartyGroupMember).where(PartyGroupMember.user_id.in_(wanted)))
        db.session.execute(
            sa.insert(PartyGroupMember), [{"group_id": group.id, "user_id": i} for i in wanted]
        )
    db.session.flush()
    audit.record(actor, "branchlife.group_members", group, f"党小组「{group.name}」成员设为 {len(wanted)} 人")
    return wanted


def delete_group(actor: User, group: PartyGroup) -> None:
    """Dissolve a 党小组; meetings it was expected at keep their attendees."""
    _require_runner(actor, group.branch)
    db.session.execute(sa.update(Meeting).where(Meeting.group_id == group.id).values(group_id=None))
    audit.record(actor, "branchlife.group_delete", group, f"撤销党小组「{group.name}」")
    db.session.delete(group)
    db.session.flush()
