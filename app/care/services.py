"""Hardship cases: who may see one, filing, the decision, assistance records, documents, follow-up
reminders and the yearly summary (counts and sums only: no names, for wider audiences).

Access is decided once, in :func:`get_case_for` (404 when there is no such case, 403 when there is
one the user may not see); every page, API answer and document that shows a case goes through it
and through :func:`record_view`, so every look at a case is in the audit log.
"""

# Services alike in shape to other domains' (load, check the rule, change, flush, audit, notify),
# kept apart: each checks its own rules and says so in its own words.

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import BranchPosition, Role, User
from app.care.models import (
    CASE_KIND_LABELS,
    AssistanceKind,
    CareOfficer,
    CaseKind,
    CaseStatus,
    HardshipAssistance,
    HardshipCase,
    HardshipDocument,
)
from app.core import audit, uploads
from app.core.clock import LOCAL_TZ, utcnow
from app.core.errors import DomainError
from app.core.signals import notification_requested
from app.core.urls import site_path
from app.extensions import db
from app.org.models import Branch

SECRETARY_POSITIONS = (BranchPosition.SECRETARY, BranchPosition.DEPUTY_SECRETARY)
MAX_AMOUNT = Decimal("9999999999.99")
#: What a supporting document may be, recognised by its first bytes.
DOCUMENT_KINDS = {b"%PDF-": ".pdf", b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg"}
CONTENT_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg"}


class CareError(DomainError):
    pass


@dataclass
class CaseData:
    kind: str
    title: str
    description: str
    amount_needed: str | Decimal | None = None


# --- who may see what ------------------------------------------------------------------------------


def _officer_branch(user: User) -> Branch | None:
    officer = db.session.get(CareOfficer, user.id)
    return officer.branch if officer is not None else None


def is_handler(user: User, case: HardshipCase) -> bool:
    """Admins, the assistance officers over the case's branch and that branch's secretaries."""
    if user.is_admin:
        return True
    if user.branch_id == case.branch_id and user.position in SECRETARY_POSITIONS:
        return True
    officer_branch = _officer_branch(user)
    return officer_branch is not None and officer_branch.contains(case.branch)


def can_see(user: User, case: HardshipCase) -> bool:
    return user.id in (case.member_id, case.filed_by_id) or is_handler(user, case)


def is_care_staff(user: User) -> bool:
    return user.is_admin or user.position in SECRETARY_POSITIONS or _officer_branch(user) is not None


def can_see_summary(user: User) -> bool:
    return user.has_any_role(Role.COORDINATOR, Role.ADMIN) or _officer_branch(user) is not None


def get_case_for(case_id: int, user: User) -> HardshipCase:
    case = db.session.get(HardshipCase, case_id)
    if case is None:
        raise NotFound()
    if not can_see(user, case):
        raise Forbidden()
    return case


def record_view(user: User, case: HardshipCase, what: str = "case") -> None:
    """Every look at a case leaves an audit entry (the caller commits it with the page)."""
    audit.record(user, f"care.view.{what}", case, case.title[:200])


def visible_cases_query(user: User):
    """Cases ``user`` may see, newest first."""
    query = sa.select(HardshipCase).order_by(HardshipCase.id.desc())
    if user.is_admin:
        return query
    seen = [HardshipCase.member_id == user.id, HardshipCase.filed_by_id == user.id]
    if user.position in SECRETARY_POSITIONS and user.branch_id:
        seen.append(HardshipCase.branch_id == user.branch_id)
    officer_branch = _officer_branch(user)
    if officer_branch is not None:
        in_scope = sa.select(Branch.id).where(Branch.subtree_filter(officer_branch.path))
        seen.append(HardshipCase.branch_id.in_(in_scope))
    return query.where(sa.or_(*seen))


def handler_ids(case: HardshipCase) -> list[int]:
    secretaries = sa.and_(User.branch_id == case.branch_id, User.position.in_(SECRETARY_POSITIONS))
    officers = User.id.in_(
        sa.select(CareOfficer.user_id)
        .join(Branch, Branch.id == CareOfficer.branch_id)
        .where(Branch.id.in_(case.branch.ancestor_ids))
    )
    query = sa.select(User.id).where(User.is_active_account.is_(True), sa.or_(secretaries, officers))
    return [i for i in db.session.scalars(query) if i != case.member_id]


# --- changes ---------------------------------------------------------------------------------------


def _money(value, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or not Decimal(0) <= amount <= MAX_AMOUNT:
        raise CareError(_("请填写有效的金额。"), field=field)
    return amount.quantize(Decimal("0.01"))


def _notify(user_ids, title: str, case: HardshipCase, kind: str) -> None:
    notification_requested.send(
        "care",
        user_ids=list(user_ids),
        title=title,
        body="",
        url=site_path("care.case", case_id=case.id),
        kind=kind,
    )


def file_case(actor: User, member: User, data: CaseData) -> HardshipCase:
    """File a case for ``member``: themself, or a secretary of their branch (or an admin) for them."""
    if member.branch is None:
        raise CareError(_("该党员还没有所在支部。"), field="member")
    for_self = actor.id == member.id
    is_secretary = actor.branch_id == member.branch_id and actor.position in SECRETARY_POSITIONS
    if not (for_self or is_secretary or actor.is_admin):
        raise Forbidden()
    try:
        kind = CaseKind(data.kind)
    except ValueError:
        raise CareError(_("请选择困难类别。"), field="kind") from None
    title, description = (data.title or "").strip(), (data.description or "").strip()
    if not title or len(title) > 200:
        raise CareError(_("请填写标题（不超过 200 字）。"), field="title")
    if not description or len(description) > 10_000:
        raise CareError(_("请填写困难情况（不超过 10000 字）。"), field="description")
    case = HardshipCase(
        member_id=member.id,
        branch_id=member.branch_id,
        branch=member.branch,
        filed_by_id=actor.id,
        kind=kind,
        title=title,
        description=description,
        amount_needed=_money(data.amount_needed, "amount_needed"),
    )
    db.session.add(case)
    db.session.flush()
    audit.record(actor, "care.case.file", case, title)
    _notify(handler_ids(case), _("有新的困难帮扶申请待审核"), case, "care.filed")
    return case


def decide_case(
    actor: User, case: HardshipCase, decision: str, note: str, follow_up_on: date | None
) -> HardshipCase:
    if not is_handler(actor, case):
        raise Forbidden()
    targets = {"approve": CaseStatus.APPROVED, "reject": CaseStatus.REJECTED, "close": CaseStatus.CLOSED}
    if decision not in targets:
        raise CareError(_("请选择审核结果。"), field="decision")
    allowed = {
        "approve": (CaseStatus.SUBMITTED,),
        "reject": (CaseStatus.SUBMITTED,),
        "close": (CaseStatus.APPROVED,),
    }
    if case.status not in allowed[decision]:
        raise CareError(_("当前状态「%(s)s」不能这样操作。", s=case.status_label), status=409)
    note = (note or "").strip()
    if len(note) > 1000:
        raise CareError(_("说明不能超过 1000 字。"), field="note")
    if decision == "reject" and not note:
        raise CareError(_("请填写未通过的理由。"), field="note")
    case.status, case.decision_note = targets[decision], note
    case.decided_by_id, case.decided_at = actor.id, utcnow()
    case.follow_up_on = follow_up_on if decision == "approve" else None
    audit.record(actor, f"care.case.{decision}", case, note[:200])
    db.session.flush()
    if case.member_id != actor.id:
        _notify(
            [case.member_id], _("您的困难帮扶申请状态：%(s)s", s=case.status_label), case, f"care.{decision}"
        )
    return case


def add_assistance(
    actor: User, case: HardshipCase, kind: str, given_on: date, amount, note: str
) -> HardshipAssistance:
    if not is_handler(actor, case):
        raise Forbidden()
    if case.status is not CaseStatus.APPROVED:
        raise CareError(_("审核通过后才能登记帮扶。"), status=409)
    try:
        kind = AssistanceKind(kind)
    except ValueError:
        raise CareError(_("请选择帮扶方式。"), field="kind") from None
    if given_on is None or not date(2000, 1, 1) <= given_on <= utcnow().astimezone(LOCAL_TZ).date():
        raise CareError(_("请填写帮扶日期（不能晚于今天）。"), field="given_on")
    record = HardshipAssistance(
        case=case,
        kind=kind,
        given_on=given_on,
        amount=_money(amount, "amount") or Decimal("0"),
        note=(note or "").strip()[:1000],
        recorded_by_id=actor.id,
    )
    db.session.add(record)
    audit.record(actor, "care.assistance.add", case, f"{record.kind_label} {record.amount}")
    db.session.flush()
    return record


def upload_dir() -> Path:
    folder = Path(current_app.config["MEDIA_ROOT"]) / "care"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _document_kind(head: bytes) -> str | None:
    return next((ext for magic, ext in DOCUMENT_KINDS.items() if head.startswith(magic)), None)


def add_document(actor: User, case: HardshipCase, stream, filename: str) -> HardshipDocument:
    if not (is_handler(actor, case) or actor.id in (case.member_id, case.filed_by_id)):
        raise Forbidden()
    limit = current_app.config.get("CARE_MAX_DOCUMENT_BYTES", 10 * 1024 * 1024)
    try:
        saved = uploads.save_upload(stream, upload_dir(), max_bytes=limit, kind_of=_document_kind)
    except uploads.UploadRefused as exc:
        messages = {
            uploads.EMPTY: _("文件是空的。"),
            uploads.TOO_LARGE: _("文件不能超过 %(n)s MB。", n=limit // (1024 * 1024)),
        }
        raise CareError(
            messages.get(exc.reason, _("只能上传 PDF、PNG 或 JPEG 文件。")), field="file"
        ) from exc
    name = Path((filename or "").replace("\\", "/")).name.strip()[-200:] or _("证明材料")
    document = HardshipDocument(
        case=case,
        filename=name,
        stored_name=saved.name,
        content_type=CONTENT_TYPES[saved.path.suffix],
        size=saved.size,
        uploaded_by_id=actor.id,
    )
    db.session.add(document)
    audit.record(actor, "care.document.add", case, name)
    db.session.flush()
    return document


# --- reminders and the summary ---------------------------------------------------------------------


def remind_follow_ups(now: datetime | None = None) -> int:
    """On a case's follow-up day (or after it), remind its handlers once for that date."""
    today = (now or utcnow()).astimezone(LOCAL_TZ).date()
    due = db.session.scalars(
        sa.select(HardshipCase).where(
            HardshipCase.status == CaseStatus.APPROVED,
            HardshipCase.follow_up_on <= today,
            sa.or_(
                HardshipCase.follow_up_reminded_on.is_(None),
                HardshipCase.follow_up_reminded_on != HardshipCase.follow_up_on,
            ),
        )
    ).all()
    sent = 0
    for case in due:
        case.follow_up_reminded_on = case.follow_up_on
        ids = handler_ids(case)
        _notify(ids, _("困难帮扶回访提醒"), case, "care.follow_up")
        sent += len(ids)
    db.session.flush()
    return sent


def yearly_summary(year: int) -> list[dict]:
    """Cases filed in ``year`` by kind and branch: counts, amounts asked and paid. No names."""
    start = datetime(year, 1, 1, tzinfo=LOCAL_TZ)
    end = datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ)
    paid = (
        sa.select(HardshipAssistance.case_id, sa.func.sum(HardshipAssistance.amount).label("paid"))
        .group_by(HardshipAssistance.case_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            HardshipCase.kind,
            Branch.name,
            sa.func.count(HardshipCase.id),
            sa.func.coalesce(sa.func.sum(HardshipCase.amount_needed), 0),
            sa.func.coalesce(sa.func.sum(paid.c.paid), 0),
        )
        .join(Branch, Branch.id == HardshipCase.branch_id)
        .outerjoin(paid, paid.c.case_id == HardshipCase.id)
        .where(HardshipCase.created_at >= start, HardshipCase.created_at < end)
        .group_by(HardshipCase.kind, Branch.name)
        .order_by(Branch.name, HardshipCase.kind)
    ).all()
    return [
        {
            "kind": CASE_KIND_LABELS[CaseKind(kind)],
            "branch": branch,
            "cases": n,
            "needed": Decimal(needed),
            "paid": Decimal(paid_sum),
        }
        for kind, branch, n, needed, paid_sum in rows
    ]


def designate_officer(admin: User, officer: User, branch: Branch) -> CareOfficer:
    if not admin.is_admin:
        raise Forbidden()
    row = db.session.get(CareOfficer, officer.id) or CareOfficer(user_id=officer.id)
    row.branch_id = branch.id
    db.session.add(row)
    db.session.flush()
    audit.record(admin, "care.officer.designate", officer, branch.name)
    return row
