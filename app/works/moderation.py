"""Works comments in the site's moderation queue (:mod:`app.core.moderation`).

Members report a comment (once each, with an optional reason); the admins are told and find it in
the queue beside Q&A's content, where they hide it (its open reports resolved, its author told),
restore it, or dismiss the reports. Every step is audited on the comment. Callers commit.
"""

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import Role, User
from app.core import audit
from app.core.clock import utcnow
from app.core.models import AuditEntry
from app.core.moderation import ModeratedKind, QueueRow, register_moderated_kind
from app.core.text import plain_text
from app.core.transactions import insert_or_skip
from app.core.urls import site_path
from app.extensions import db
from app.works.models import REPORT_REASON_MAX, Work, WorkComment, WorkCommentReport
from app.works.services import WorkError, _notify, is_moderator

KIND = "work_comment"


def report_comment(user: User, comment: WorkComment, reason: str) -> None:
    """File ``user``'s report (the caller has checked they may see the work) and tell the admins."""
    if comment.author_id == user.id:
        raise WorkError(_("不能举报自己的评论。"))
    if comment.is_hidden:
        raise WorkError(_("这条评论已经隐藏。"), status=409)
    reason = " ".join((reason or "").split())[:REPORT_REASON_MAX]
    filed = db.session.execute(
        insert_or_skip(WorkCommentReport, ["comment_id", "reporter_id"])
        .values(comment_id=comment.id, reporter_id=user.id, reason=reason, created_at=utcnow())
        .returning(WorkCommentReport.id)
    ).scalar()
    if filed is None:
        raise WorkError(_("您已经举报过这条评论，管理员会尽快处理。"), status=409)
    audit.record(user, "work.comment.report", comment, reason[:200], {"report_id": filed})
    admins = db.session.scalars(sa.select(User.id).where(User.role_rows.any(role=Role.ADMIN)))
    _notify(admins, _("有评论被举报，请处理"), db.session.get(Work, comment.work_id), "work.comment.report")


def _resolve(comment: WorkComment, actor: User, resolution: str) -> int:
    return db.session.execute(
        sa.update(WorkCommentReport)
        .where(WorkCommentReport.comment_id == comment.id, WorkCommentReport.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=actor.id, resolution=resolution)
        .execution_options(synchronize_session=False)
    ).rowcount


def hide_comment(comment: WorkComment, actor: User, reason: str = "") -> None:
    if not is_moderator(actor):
        raise Forbidden()
    if comment.is_hidden:
        raise WorkError(_("这条评论已经隐藏。"), status=409)
    comment.is_hidden = True
    resolved = _resolve(comment, actor, "hidden")
    db.session.flush()
    reason = " ".join((reason or "").split())[:REPORT_REASON_MAX]
    audit.record(
        actor, "work.comment.hide", comment, reason or comment.body[:200], {"reports_resolved": resolved}
    )
    if comment.author_id:
        _notify(
            [comment.author_id],
            _("您的评论已被管理员隐藏"),
            db.session.get(Work, comment.work_id),
            "work.comment.hidden",
        )


def restore_comment(comment: WorkComment, actor: User) -> None:
    if not is_moderator(actor):
        raise Forbidden()
    if not comment.is_hidden:
        raise WorkError(_("这条评论没有被隐藏。"), status=409)
    comment.is_hidden = False
    db.session.flush()
    audit.record(actor, "work.comment.restore", comment, comment.body[:200])


def dismiss_reports(comment: WorkComment, actor: User) -> int:
    if not is_moderator(actor):
        raise Forbidden()
    count = _resolve(comment, actor, "dismissed")
    if not count:
        raise WorkError(_("这条评论没有待处理的举报。"), status=409)
    audit.record(actor, "work.comment.dismiss", comment, f"驳回 {count} 条举报")
    return count


def load_comment(comment_id: int) -> WorkComment:
    comment = db.session.get(WorkComment, comment_id)
    if comment is None:
        raise NotFound()
    return comment


def open_count() -> int:
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(WorkCommentReport.comment_id))).where(
            WorkCommentReport.resolved_at.is_(None)
        )
    )


def queue_rows(limit: int = 50) -> list[QueueRow]:
    """Reported comments (oldest report first), then hidden ones; five queries whatever the length."""
    reports = list(
        db.session.scalars(
            sa.select(WorkCommentReport)
            .where(WorkCommentReport.resolved_at.is_(None))
            .order_by(WorkCommentReport.id)
            .limit(limit * 5)
        )
    )
    ids = list(dict.fromkeys(r.comment_id for r in reports))[:limit]
    ids += [
        i
        for i in db.session.scalars(
            sa.select(WorkComment.id)
            .where(WorkComment.is_hidden.is_(True))
            .order_by(WorkComment.id.desc())
            .limit(limit)
        )
        if i not in ids
    ]
    if not ids:
        return []
    comments = {c.id: c for c in db.session.scalars(sa.select(WorkComment).where(WorkComment.id.in_(ids)))}
    works = {
        w.id: w
        for w in db.session.scalars(
            sa.select(Work).where(Work.id.in_({c.work_id for c in comments.values()}))
        )
    }
    trail: dict[int, list[AuditEntry]] = {}
    for entry in db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.target_type == WorkComment.__tablename__, AuditEntry.target_id.in_(ids))
        .order_by(AuditEntry.id)
    ):
        trail.setdefault(entry.target_id, []).append(entry)
    rows = []
    for comment_id in ids:
        comment = comments.get(comment_id)
        if comment is None:
            continue
        work = works[comment.work_id]
        rows.append(
            QueueRow(
                kind=KIND,
                item_id=comment.id,
                context=work.title,
                url=site_path("works.detail", work_id=work.id),
                text=plain_text(comment.body, 300),
                is_hidden=comment.is_hidden,
                reports=[
                    (r.reporter.name if r.reporter else "", r.reason, r.created_at)
                    for r in reports
                    if r.comment_id == comment.id
                ],
                trail=trail.get(comment.id, []),
            )
        )
    return rows


def register() -> None:
    register_moderated_kind(
        ModeratedKind(
            name=KIND,
            label=_l("作品评论"),
            rows=queue_rows,
            load=load_comment,
            hide=hide_comment,
            restore=restore_comment,
            dismiss=dismiss_reports,
            open_count=open_count,
        )
    )
