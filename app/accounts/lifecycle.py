"""What the member lifecycle (``app.membership``) may change on an account, and only through here:
the category (the result of the 发展党员 workflow, no longer typed by an admin) and the branch (an
approved 组织关系转接). Both are audited; a branch change sends ``user_branch_changed``."""

from datetime import date

from app.accounts.models import CATEGORY_LABELS, MemberCategory, User
from app.core import audit
from app.core.signals import user_branch_changed
from app.extensions import db


def set_category(
    member: User, category: MemberCategory, actor: User | None, joined_party_on: date | None = None
) -> None:
    before = member.category
    member.category = category
    if joined_party_on is not None:
        member.joined_party_on = joined_party_on
    audit.record(
        actor,
        "user.category",
        member,
        f"{member} 的人员类别变为 {CATEGORY_LABELS[category]}",
        {"from": before.value if before else None, "to": category.value},
    )


def move_to_branch(member: User, branch_id: int | None, actor: User | None, reason: str = "") -> None:
    old_branch_id = member.branch_id
    if old_branch_id == branch_id:
        return
    member.branch_id = branch_id
    db.session.flush()
    db.session.expire(member, ["branch"])  # the joined relationship follows the new id
    audit.record(
        actor,
        "user.branch",
        member,
        f"{member} 转入新的党组织：{reason}"[:500],
        {"from": old_branch_id, "to": branch_id},
    )
    user_branch_changed.send(member, actor=actor, old_branch_id=old_branch_id)
