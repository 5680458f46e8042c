"""Moderation: members report questions, answers and comments; admins hide, restore or dismiss,
and the authors are told. Callers own the transaction; every change is flushed and audited."""

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import Role, User, UserRole
from app.core import audit
from app.core.clock import utcnow
from app.core.models import AuditEntry
from app.core.moderation import moderated_kinds
from app.core.transactions import insert_in_savepoint
from app.extensions import db
from app.qa.models import (
    REPORT_REASON_MAX,
    Answer,
    Comment,
    Question,
    Report,
    ReportTarget,
)
from app.qa.services import _SPACES, QaError, _notify, can_see_item, can_see_question, is_moderator

# --- moderation -----------------------------------------------------------------------------------

_TARGETS = {ReportTarget.QUESTION: Question, ReportTarget.ANSWER: Answer, ReportTarget.COMMENT: Comment}


def load_target(target_type: str, target_id: int):
    try:
        model = _TARGETS[ReportTarget(target_type)]
    except ValueError:
        raise NotFound() from None
    item = db.session.get(model, target_id)
    if item is None:
        raise NotFound()
    return item


def _question_of(item) -> Question:
    return item if isinstance(item, Question) else db.session.get(Question, item.question_id)


def _target_type(item) -> ReportTarget:
    return next(t for t, model in _TARGETS.items() if isinstance(item, model))


def report_content(item, actor: User, reason: str) -> Report:
    question = _question_of(item)
    if not can_see_question(actor, question) or (
        not isinstance(item, Question) and not can_see_item(actor, item)
    ):
        raise NotFound()
    if item.author_id == actor.id:
        raise QaError(_("不能举报自己的内容"))
    reason = _SPACES.sub(" ", reason or "").strip()
    if not reason:
        raise QaError(_("请写明举报理由"), field="reason")
    if len(reason) > REPORT_REASON_MAX:
        raise QaError(
            _("举报理由不能超过 %(report_reason_max)s 个字", report_reason_max=REPORT_REASON_MAX),
            field="reason",
        )
    target_type = _target_type(item)
    already = db.session.scalar(
        sa.select(Report.id).where(
            Report.target_type == target_type, Report.target_id == item.id, Report.reporter_id == actor.id
        )
    )
    if already:
        raise QaError(_("您已经举报过这条内容，管理员会尽快处理"))
    report = Report(target_type=target_type, target_id=item.id, reporter_id=actor.id, reason=reason)
    if not insert_in_savepoint(report):
        raise QaError(_("您已经举报过这条内容，管理员会尽快处理"))
    audit.record(actor, "qa.report", item, f"举报：{reason[:100]}", {"report_id": report.id})
    moderators = db.session.scalars(sa.select(UserRole.user_id).where(UserRole.role == Role.ADMIN)).all()
    _notify(moderators, "有新的举报待处理", f"《{question.title}》：{reason[:80]}", question, "qa.report")
    return report


def _resolve_reports(item, actor: User, resolution: str) -> int:
    result = db.session.execute(
        sa.update(Report)
        .where(
            Report.target_type == _target_type(item),
            Report.target_id == item.id,
            Report.resolved_at.is_(None),
        )
        .values(resolved_at=utcnow(), resolved_by_id=actor.id, resolution=resolution)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _adjust_answer_count(item, delta: int) -> None:
    if isinstance(item, Answer):
        db.session.execute(
            sa.update(Question)
            .where(Question.id == item.question_id)
            .values(answer_count=Question.answer_count + delta)
            .execution_options(synchronize_session=False)
        )


def hide_content(item, actor: User, reason: str) -> None:
    """Hide a question, answer or comment (kept and restorable); resolves its open reports."""
    if not is_moderator(actor):
        raise Forbidden(_("只有管理员可以隐藏内容。"))
    if item.is_hidden:
        raise QaError(_("这条内容已经隐藏"))
    reason = _SPACES.sub(" ", reason or "").strip()[:REPORT_REASON_MAX]
    if not reason:
        raise QaError(_("请写明隐藏原因"), field="reason")
    item.is_hidden = True
    _adjust_answer_count(item, -1)
    resolved = _resolve_reports(item, actor, "hidden")
    db.session.flush()
    audit.record(actor, "qa.hide", item, f"隐藏：{reason}", {"reason": reason, "reports_resolved": resolved})
    question = _question_of(item)
    what = {Question: "问题", Answer: "回答", Comment: "评论"}[type(item)]
    _notify(
        [item.author_id],
        f"您的{what}已被管理员隐藏",
        f"《{question.title}》：{reason}",
        question,
        "qa.hidden",
    )


def restore_content(item, actor: User) -> None:
    if not is_moderator(actor):
        raise Forbidden(_("只有管理员可以恢复内容。"))
    if not item.is_hidden:
        raise QaError(_("这条内容没有被隐藏"))
    item.is_hidden = False
    _adjust_answer_count(item, +1)
    db.session.flush()
    audit.record(actor, "qa.restore", item, "恢复显示")


def dismiss_reports(item, actor: User) -> int:
    if not is_moderator(actor):
        raise Forbidden()
    count = _resolve_reports(item, actor, "dismissed")
    if not count:
        raise QaError(_("这条内容没有待处理的举报"))
    audit.record(actor, "qa.report.dismiss", item, f"驳回 {count} 条举报")
    return count


def open_report_count() -> int:
    """Open reports of Q&A content, plus reported items of every kind other domains registered."""
    own = db.session.scalar(sa.select(sa.func.count(Report.id)).where(Report.resolved_at.is_(None)))
    return own + sum(kind.open_count() for kind in moderated_kinds())


def moderation_queue(limit: int = 50) -> list[dict]:
    """Reported items still open (grouped: one row per item, its reports and its audit trail), then
    the hidden items; a fixed number of queries whatever the queue length."""
    reports = list(
        db.session.scalars(
            sa.select(Report).where(Report.resolved_at.is_(None)).order_by(Report.id).limit(limit * 5)
        )
    )
    keys: list[tuple[ReportTarget, int]] = list(dict.fromkeys((r.target_type, r.target_id) for r in reports))[
        :limit
    ]
    hidden: list[tuple[ReportTarget, int]] = []
    for target_type, model in _TARGETS.items():
        hidden += [
            (target_type, i)
            for i in db.session.scalars(
                sa.select(model.id).where(model.is_hidden.is_(True)).order_by(model.id.desc()).limit(limit)
            )
        ]
    all_keys = list(dict.fromkeys(keys + hidden))
    items: dict[tuple[ReportTarget, int], object] = {}
    for target_type, model in _TARGETS.items():
        ids = [i for t, i in all_keys if t == target_type]
        if ids:
            items |= {
                (target_type, row.id): row
                for row in db.session.scalars(sa.select(model).where(model.id.in_(ids)))
            }
    question_ids = {getattr(item, "question_id", None) or item.id for item in items.values()}
    questions = (
        {q.id: q for q in db.session.scalars(sa.select(Question).where(Question.id.in_(question_ids)))}
        if question_ids
        else {}
    )
    trail: dict[tuple[str, int], list[AuditEntry]] = {}
    if all_keys:
        table_names = {t: _TARGETS[t].__tablename__ for t in _TARGETS}
        conditions = [
            sa.and_(
                AuditEntry.target_type == table_names[t],
                AuditEntry.target_id.in_([i for tt, i in all_keys if tt == t]),
            )
            for t in _TARGETS
            if any(tt == t for tt, _i in all_keys)
        ]
        for entry in db.session.scalars(
            sa.select(AuditEntry)
            .where(sa.or_(*conditions), AuditEntry.action.startswith("qa."))
            .order_by(AuditEntry.id)
        ):
            trail.setdefault((entry.target_type, entry.target_id), []).append(entry)
    rows = []
    for key in all_keys:
        item = items.get(key)
        if item is None:
            continue
        target_type, target_id = key
        rows.append(
            {
                "type": target_type,
                "item": item,
                "question": questions.get(getattr(item, "question_id", None) or item.id),
                "reports": [r for r in reports if (r.target_type, r.target_id) == key],
                "trail": trail.get((_TARGETS[target_type].__tablename__, target_id), []),
            }
        )
    return rows
