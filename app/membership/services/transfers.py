"""组织关系转接 inside the organisation, and the branch history it leaves.

A transfer is requested by the member, someone keeping their file, or the receiving side (who then
counts as having approved it); it completes when both the sending and the receiving side approved,
and only then does the member's branch change (through accounts). The member's 学时 ledger, points
and archive are keyed by the member, not the branch: they travel untouched.
"""

# Services alike in shape to other domains' (load, check the rule, change, flush, audit, notify),
# kept apart: each checks its own rules and says so in its own words.

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden

from app.accounts import lifecycle
from app.accounts.models import User
from app.core import audit
from app.core.clock import localtoday, utcnow
from app.core.errors import DomainError
from app.extensions import db
from app.membership.models import BranchStint, Transfer, TransferStatus
from app.membership.services.access import is_secretary_of, load_checked, may_keep_file
from app.org.models import Branch, BranchKind
from app.org.services import can_manage_branch

REASON_MAX = 500
#: The start of a member's first stint when nothing earlier is known: they were always there.
BEGINNING = date(1900, 1, 1)


class TransferError(DomainError):
    pass


def speaks_for(actor: User, branch: Branch) -> bool:
    """May approve for ``branch``'s side: its secretary, a coordinator over it, an admin."""
    if actor.is_admin:
        return True
    return is_secretary_of(actor, branch.id) or (
        actor.has_role("coordinator") and can_manage_branch(actor, branch)
    )


def may_see(actor: User, transfer: Transfer) -> bool:
    return (
        actor.id == transfer.member_id
        or speaks_for(actor, transfer.from_branch)
        or speaks_for(actor, transfer.to_branch)
    )


def load_transfer(transfer_id, actor: User) -> Transfer:
    return load_checked(Transfer, transfer_id, actor, may_see)


def request_transfer(actor: User, member: User, to_branch: Branch | None, reason: str) -> Transfer:
    if member.branch is None:
        raise TransferError(_("该党员尚未编入党组织，请先由管理员编入支部"))
    if to_branch is None:
        raise TransferError(_("请选择转入的党支部"), field="to_branch_id")
    receiving = speaks_for(actor, to_branch)
    if not (actor.id == member.id or may_keep_file(actor, member) or receiving):
        raise Forbidden()
    if to_branch.kind != BranchKind.BRANCH:
        raise TransferError(_("只能转入党支部"), field="to_branch_id")
    if to_branch.id == member.branch_id:
        raise TransferError(_("该党员已在这个党支部"), field="to_branch_id")
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise TransferError(_("请填写转接原因（不超过 500 字）"), field="reason")
    User.hold(member.id)
    pending = db.session.scalar(
        sa.select(Transfer.id).where(
            Transfer.member_id == member.id, Transfer.status == TransferStatus.PENDING
        )
    )
    if pending:
        raise TransferError(_("该党员已有一项待审批的组织关系转接"), 409)
    # A constructor alike in shape to branchlife's Meeting(...) in planning: different tables.
    transfer = Transfer(
        member_id=member.id,
        from_branch_id=member.branch_id,
        to_branch_id=to_branch.id,
        reason=reason,
        requested_by_id=actor.id,
    )
    if receiving:
        transfer.receiver_approved_by_id, transfer.receiver_approved_at = actor.id, utcnow()
    db.session.add(transfer)
    db.session.flush()
    audit.record(
        actor, "transfer.request", transfer, f"{member} 申请从 {member.branch} 转入 {to_branch}：{reason}"
    )
    return transfer


def _lock_pending(transfer: Transfer) -> None:
    db.session.execute(sa.select(Transfer.id).where(Transfer.id == transfer.id).with_for_update())
    db.session.refresh(transfer)
    if transfer.status != TransferStatus.PENDING:
        raise TransferError(_("这项转接已经处理过了"), 409)


def approve_transfer(actor: User, transfer: Transfer) -> Transfer:
    """Approve one side the actor speaks for (the sending side first); the second approval completes it."""
    _lock_pending(transfer)
    now = utcnow()
    if transfer.sender_approved_at is None and speaks_for(actor, transfer.from_branch):
        transfer.sender_approved_by_id, transfer.sender_approved_at, side = actor.id, now, "sender"
    elif transfer.receiver_approved_at is None and speaks_for(actor, transfer.to_branch):
        transfer.receiver_approved_by_id, transfer.receiver_approved_at, side = actor.id, now, "receiver"
    elif speaks_for(actor, transfer.from_branch) or speaks_for(actor, transfer.to_branch):
        raise TransferError(_("您这一方已经同意，正在等待另一方审批"), 409)
    else:
        raise Forbidden()
    audit.record(actor, f"transfer.approve_{side}", transfer, f"同意 {transfer.member} 的组织关系转接")
    if transfer.sender_approved_at and transfer.receiver_approved_at:
        transfer.status, transfer.decided_at = TransferStatus.APPROVED, now
        db.session.flush()
        lifecycle.move_to_branch(
            transfer.member, transfer.to_branch_id, actor, reason=f"组织关系转接 #{transfer.id}"
        )
        stint = current_stint(transfer.member_id)
        if stint is not None:
            stint.transfer_id = transfer.id
    db.session.flush()
    return transfer


def reject_transfer(actor: User, transfer: Transfer, reason: str) -> Transfer:
    if not (speaks_for(actor, transfer.from_branch) or speaks_for(actor, transfer.to_branch)):
        raise Forbidden()
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise TransferError(_("请写明退回原因（不超过 500 字）"), field="reason")
    _lock_pending(transfer)
    transfer.status, transfer.decided_at = TransferStatus.REJECTED, utcnow()
    transfer.rejected_by_id, transfer.reject_reason = actor.id, reason
    db.session.flush()
    audit.record(actor, "transfer.reject", transfer, f"退回 {transfer.member} 的组织关系转接：{reason}")
    return transfer


def transfers_query(actor: User, member: User | None = None):
    """Transfers the actor may see: their own, and those whose either side is in their scope."""
    query = sa.select(Transfer).order_by(
        Transfer.status != TransferStatus.PENDING, Transfer.requested_at.desc()
    )
    if member is not None:
        return query.where(Transfer.member_id == member.id)
    if actor.is_admin:
        return query
    sides = [Transfer.member_id == actor.id]
    if actor.branch_id is not None and is_secretary_of(actor, actor.branch_id):
        sides += [Transfer.from_branch_id == actor.branch_id, Transfer.to_branch_id == actor.branch_id]
    if actor.has_role("coordinator") and actor.branch is not None:
        inside = sa.select(Branch.id).where(Branch.subtree_filter(actor.branch.path))
        sides += [Transfer.from_branch_id.in_(inside), Transfer.to_branch_id.in_(inside)]
    return query.where(sa.or_(*sides))


# --- branch history ----------------------------------------------------------------------------------


def current_stint(member_id: int) -> BranchStint | None:
    return db.session.scalar(
        sa.select(BranchStint).where(BranchStint.member_id == member_id, BranchStint.ended_on.is_(None))
    )


def on_branch_changed(member: User, actor=None, old_branch_id: int | None = None, **_kwargs) -> None:
    """Receiver of ``user_branch_changed``: close the stint in the old branch, open one in the new."""
    today = localtoday()
    stint = current_stint(member.id)
    if stint is not None:
        stint.ended_on = today
    elif old_branch_id is not None:
        db.session.add(
            BranchStint(member_id=member.id, branch_id=old_branch_id, started_on=BEGINNING, ended_on=today)
        )
    if member.branch_id is not None:
        db.session.add(BranchStint(member_id=member.id, branch_id=member.branch_id, started_on=today))
    db.session.flush()


def branches_on(day: date) -> sa.Select:
    """``(member_id, branch_id)`` of every member with a stint covering ``day`` (the members who
    ever moved); registered as records' branch history so past years' reports count them there."""
    return sa.select(BranchStint.member_id, BranchStint.branch_id).where(
        BranchStint.started_on <= day,
        sa.or_(BranchStint.ended_on.is_(None), BranchStint.ended_on > day),
    )


def members_on(branch: Branch, day: date) -> list[int]:
    """Ids of the members in ``branch``'s subtree on ``day``: by their stints, or (never moved) by
    their branch today. A transferred member counts where they were on that day."""
    inside = sa.select(Branch.id).where(Branch.subtree_filter(branch.path))
    stints = branches_on(day).subquery()
    by_stint = sa.select(stints.c.member_id).where(stints.c.branch_id.in_(inside))
    never_moved = sa.select(User.id).where(
        User.branch_id.in_(inside), User.id.not_in(sa.select(BranchStint.member_id))
    )
    return sorted(db.session.scalars(sa.union(by_stint, never_moved)))
