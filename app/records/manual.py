"""Manual entries (手工录入): hours a coordinator records with a reason, and the four-eyes rule.

Nobody records hours for themselves (the ledger refuses it for every source a person vouches for).
An entry above ``HOURS_MANUAL_APPROVAL_ABOVE`` 学时 does not reach the ledger until a second
coordinator of the member's subtree — never the requester, never the member — approves it.
"""

import logging
import uuid
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.accounts.models import Role, User, UserRole
from app.core import audit
from app.core.clock import utcnow
from app.core.signals import notification_requested
from app.extensions import db
from app.org import services as org_services
from app.org.models import Branch
from app.records.models import HoursEntry, ManualHoursRequest
from app.records.services.base import RecordsError
from app.records.services.ledger import append_entry, check_day, occurred_at_noon

logger = logging.getLogger(__name__)


def _checked(member: User, hours, reason: str, actor: User, occurred_on: date | None) -> tuple[Decimal, str]:
    reason = (reason or "").strip()
    if not reason:
        raise RecordsError(_("手工录入学时必须填写原因"), 422, "reason")
    try:
        hours = Decimal(str(hours))
    except ArithmeticError as exc:
        raise RecordsError(_("学时必须是数字"), 422, "hours") from exc
    if not hours.is_finite() or not Decimal("0.01") <= hours <= Decimal("100"):
        raise RecordsError(_("学时须在 0.01–100 之间"), 422, "hours")
    if occurred_on is not None:
        check_day(occurred_on, "occurred_on")
    if member.id == actor.id:
        raise RecordsError(_("不能为自己录入学时，请由其他组织员录入"), 403, "member")
    return hours, reason


def credit_manual_hours(
    member: User,
    hours,
    reason: str,
    actor: User,
    occurred_on: date | None = None,
) -> HoursEntry:
    """Append a manual entry to the ledger at once. People reach it through
    :func:`request_manual_hours`, which holds large entries for a second coordinator."""
    hours, reason = _checked(member, hours, reason, actor, occurred_on)
    entry = append_entry(
        member,
        hours=hours,
        source_kind="manual",
        source_ref=f"manual:{uuid.uuid4().hex}",
        actor=actor,
        reason=reason,
        occurred_at=occurred_at_noon(occurred_on),
        title="手工录入",
    )
    if entry is None:
        raise RecordsError(_("该手工录入已经记入学时"), 409)
    audit.record(actor, "hours.manual", entry, f"为 {member} 手工录入 {entry.hours} 学时：{reason}")
    return entry


#: How far back a coordinator's own manual entries for a member count toward the approval threshold.
APPROVAL_WINDOW = timedelta(days=30)


def recent_manual_hours(member: User, actor: User) -> Decimal:
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(HoursEntry.hours), 0)).where(
            HoursEntry.user_id == member.id,
            HoursEntry.recorded_by_id == actor.id,
            HoursEntry.source_kind == "manual",
            HoursEntry.hours > 0,
            HoursEntry.created_at >= utcnow() - APPROVAL_WINDOW,
        )
    )
    return Decimal(str(total or 0))


def approval_threshold() -> Decimal:
    return Decimal(str(current_app.config["HOURS_MANUAL_APPROVAL_ABOVE"]))


def request_manual_hours(
    member: User, hours, reason: str, actor: User, occurred_on: date | None = None
) -> HoursEntry | ManualHoursRequest:
    """A coordinator's manual entry: credited at once up to the threshold, above it held for approval.

    What counts against the threshold is this entry plus what the same coordinator credited the same
    member by hand in the last 30 days: 25 entries of 4 学时 are 100 学时, however they are sliced.
    """
    hours, reason = _checked(member, hours, reason, actor, occurred_on)
    if recent_manual_hours(member, actor) + hours <= approval_threshold():
        return credit_manual_hours(member, hours, reason, actor, occurred_on)
    request = ManualHoursRequest(
        user_id=member.id,
        hours=hours,
        reason=reason[:500],
        occurred_on=occurred_on,
        requested_by_id=actor.id,
        requested_at=utcnow(),
        status="pending",
        decision_note="",
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        actor, "hours.manual.request", request, f"申请为 {member} 手工录入 {hours} 学时（待复核）：{reason}"
    )
    reviewers = [u for u in reviewers_for(member) if u not in (actor.id, member.id)]
    if reviewers:
        notification_requested.send(
            "records",
            user_ids=reviewers,
            title=f"待复核：为 {member.name} 手工录入 {hours} 学时",
            body=f"{actor.name} 申请，原因：{reason}",
            url="/records/approvals",
            kind="records.manual_approval",
        )
    logger.info("%s asked to credit %s hours to %s", actor, hours, member)
    return request


def reviewers_for(member: User) -> list[int]:
    """Coordinators whose subtree holds ``member``'s branch (the ones who may approve)."""
    if member.branch is None:
        return []
    ancestors = Branch.ids_in_path(member.branch.path)
    return list(
        db.session.scalars(
            sa.select(User.id).where(
                User.branch_id.in_(ancestors),
                User.is_active_account.is_(True),
                User.role_rows.any(UserRole.role == Role.COORDINATOR),
            )
        )
    )


def pending_query(approver: User):
    """Pending requests ``approver`` may see: members in their subtree, newest first."""
    prefix = org_services.scope_path(approver)
    if prefix is None:
        return sa.select(ManualHoursRequest).where(sa.false())
    query = (
        sa.select(ManualHoursRequest)
        .join(User, User.id == ManualHoursRequest.user_id)
        .outerjoin(Branch, Branch.id == User.branch_id)
        .where(ManualHoursRequest.status == "pending")
    )
    if prefix:
        query = query.where(Branch.subtree_filter(prefix))
    return query.order_by(ManualHoursRequest.requested_at.desc(), ManualHoursRequest.id.desc())


def get_request_for(request_id: int, approver: User) -> ManualHoursRequest:
    """The request, locked; 404 when missing, 403 when its member is outside ``approver``'s scope."""
    request = db.session.scalars(
        sa.select(ManualHoursRequest)
        .where(ManualHoursRequest.id == request_id)
        .with_for_update(of=ManualHoursRequest.__table__)
    ).first()
    if request is None:
        raise RecordsError(_("没有这条待复核的录入"), 404)
    org_services.get_member_for(request.user_id, approver)  # 403 outside the subtree
    return request


def _decide(request: ManualHoursRequest, approver: User) -> User:
    if request.status != "pending":
        raise RecordsError(_("这条录入已经复核过了"), 409)
    if approver.id == request.requested_by_id:
        raise RecordsError(_("不能复核自己提交的录入，请由另一名组织员复核"), 403)
    if approver.id == request.user_id:
        raise RecordsError(_("不能复核为自己录入的学时"), 403)
    request.decided_by_id, request.decided_at = approver.id, utcnow()
    return db.session.get(User, request.user_id)


def approve_manual_request(request: ManualHoursRequest, approver: User) -> HoursEntry:
    """A second coordinator approves: the entry reaches the ledger once, recorded by the requester."""
    member = _decide(request, approver)
    requester = db.session.get(User, request.requested_by_id) if request.requested_by_id else approver
    entry = append_entry(
        member,
        hours=request.hours,
        source_kind="manual",
        source_ref=f"manual-request:{request.id}",
        actor=requester,
        reason=f"{request.reason}（{approver.name} 复核）",
        occurred_at=occurred_at_noon(request.occurred_on),
        title="手工录入",
    )
    if entry is None:
        raise RecordsError(_("这条录入已经记入学时"), 409)
    request.status, request.entry_id = "approved", entry.id
    audit.record(
        approver, "hours.manual.approve", request, f"复核通过：为 {member} 录入 {request.hours} 学时"
    )
    return entry


def reject_manual_request(request: ManualHoursRequest, approver: User, note: str) -> None:
    note = (note or "").strip()
    if not note:
        raise RecordsError(_("退回必须填写理由"), 422, "note")
    member = _decide(request, approver)
    request.status, request.decision_note = "rejected", note[:500]
    audit.record(
        approver, "hours.manual.reject", request, f"退回为 {member} 录入 {request.hours} 学时：{note}"
    )
    if request.requested_by_id:
        notification_requested.send(
            "records",
            user_ids=[request.requested_by_id],
            title=f"手工录入被退回：{member.name} {request.hours} 学时",
            body=note,
            url=f"/records/members/{member.id}",
            kind="records.manual_rejected",
        )
