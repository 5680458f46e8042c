"""组织关系转接 to or from outside the organisation: the numbered 介绍信 and its 回执."""

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts import lifecycle
from app.accounts.models import User
from app.core import audit
from app.core.clock import localtoday
from app.core.urls import id_from
from app.extensions import db
from app.membership.models import LetterDirection, TransferLetter
from app.membership.services.transfers import REASON_MAX, TransferError, speaks_for
from app.org.models import Branch, BranchKind

ORG_MAX, LETTER_NO_MAX, NOTE_MAX = 200, 32, 500


def _text(value: str, limit: int, message, field: str) -> str:
    value = (value or "").strip()
    if not value or len(value) > limit:
        raise TransferError(message, field=field)
    return value


def issue_letter(actor: User, member: User, outside_org: str, reason: str) -> TransferLetter:
    """An outgoing 介绍信 from the member's branch (its secretary or a coordinator over it)."""
    if member.branch is None:
        raise TransferError(_("该党员尚未编入党组织，请先由管理员编入支部"))
    if not speaks_for(actor, member.branch):
        raise Forbidden()
    outside_org = _text(outside_org, ORG_MAX, _("请填写接收党组织名称（不超过 200 字）"), "outside_org")
    reason = _text(reason, REASON_MAX, _("请填写转接原因（不超过 500 字）"), "reason")
    User.hold(member.id)
    open_letter = db.session.scalar(
        sa.select(TransferLetter.id).where(
            TransferLetter.member_id == member.id,
            TransferLetter.direction == LetterDirection.OUT,
            TransferLetter.receipt_on.is_(None),
        )
    )
    if open_letter:
        raise TransferError(_("该党员已有一封尚未收到回执的介绍信"), 409)
    letter = TransferLetter(
        member_id=member.id, direction=LetterDirection.OUT, branch_id=member.branch_id,
        outside_org=outside_org, reason=reason, issued_by_id=actor.id, issued_on=localtoday(),
    )  # fmt: skip
    db.session.add(letter)
    db.session.flush()
    letter.letter_no = f"{letter.issued_on.year}-{letter.id:05d}"
    audit.record(
        actor, "transfer.letter_out", member, f"为 {member} 开具介绍信 {letter.letter_no}，转往 {outside_org}"
    )
    return letter


def record_receipt(actor: User, letter: TransferLetter, received_on, note: str = "") -> TransferLetter:
    """The receiving organisation's 回执 arrived: the member leaves the branch."""
    if letter.direction != LetterDirection.OUT:
        raise TransferError(_("只有转出的介绍信需要登记回执"), 409)
    if not speaks_for(actor, letter.branch):
        raise Forbidden()
    if letter.receipt_on is not None:
        raise TransferError(_("回执已经登记过了"), 409)
    if received_on is None or received_on > localtoday() or received_on < letter.issued_on:
        raise TransferError(_("回执日期须在开具介绍信之后、不晚于今天"), field="received_on")
    if len(note or "") > NOTE_MAX:
        raise TransferError(_("说明不能超过 500 字"), field="note")
    letter.receipt_on, letter.receipt_note = received_on, (note or "").strip()
    member = letter.member
    if member.branch_id == letter.branch_id:
        lifecycle.move_to_branch(member, None, actor, reason=f"介绍信 {letter.letter_no} 回执")
    audit.record(actor, "transfer.letter_receipt", member, f"登记介绍信 {letter.letter_no} 的回执")
    db.session.flush()
    return letter


def accept_incoming(
    actor: User, member: User, branch: Branch | None, outside_org: str, letter_no: str, reason: str
) -> TransferLetter:
    """A member arrives from outside with a 介绍信: recorded, and the member joins ``branch`` at once."""
    if branch is None:
        raise TransferError(_("请选择转入的党支部"), field="to_branch_id")
    if not speaks_for(actor, branch):
        raise Forbidden()
    if branch.kind != BranchKind.BRANCH:
        raise TransferError(_("只能转入党支部"), field="to_branch_id")
    if member.branch_id is not None:
        raise TransferError(_("该党员已在本组织的党支部中，请使用组织内转接"), field="employee_no")
    outside_org = _text(outside_org, ORG_MAX, _("请填写转出党组织名称（不超过 200 字）"), "outside_org")
    letter_no = _text(letter_no, LETTER_NO_MAX, _("请填写介绍信编号（不超过 32 字）"), "letter_no")
    reason = _text(reason, REASON_MAX, _("请填写转接原因（不超过 500 字）"), "reason")
    taken = db.session.scalar(
        sa.select(TransferLetter.id).where(
            TransferLetter.direction == LetterDirection.IN, TransferLetter.letter_no == letter_no
        )
    )
    if taken:
        raise TransferError(_("这封介绍信已经登记过了"), 409, field="letter_no")
    today = localtoday()
    letter = TransferLetter(
        member_id=member.id, direction=LetterDirection.IN, branch_id=branch.id, outside_org=outside_org,
        letter_no=letter_no, reason=reason, issued_by_id=actor.id, issued_on=today, receipt_on=today,
    )  # fmt: skip
    db.session.add(letter)
    db.session.flush()
    lifecycle.move_to_branch(member, branch.id, actor, reason=f"介绍信 {letter_no} 转入")
    audit.record(
        actor, "transfer.letter_in", member, f"{member} 持介绍信 {letter_no} 从 {outside_org} 转入 {branch}"
    )
    return letter


def load_letter(letter_id, actor: User) -> TransferLetter:
    letter = db.session.get(TransferLetter, letter_id) if id_from(letter_id) else None
    if letter is None:
        raise NotFound()
    if actor.id != letter.member_id and not speaks_for(actor, letter.branch):
        raise Forbidden()
    return letter


def letters_query(actor: User):
    query = sa.select(TransferLetter).order_by(
        TransferLetter.receipt_on.is_not(None), TransferLetter.id.desc()
    )
    if actor.is_admin:
        return query
    sides = [TransferLetter.member_id == actor.id]
    if actor.branch is not None and speaks_for(actor, actor.branch):
        sides.append(TransferLetter.branch_id == actor.branch_id)
    if actor.has_role("coordinator") and actor.branch is not None:
        sides.append(
            TransferLetter.branch_id.in_(sa.select(Branch.id).where(Branch.subtree_filter(actor.branch.path)))
        )
    return query.where(sa.or_(*sides))
