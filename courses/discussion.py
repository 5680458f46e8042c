"""Lesson discussion: comments and replies, trainer highlights, reports, hiding with audit.

Who may write: members enrolled in the course and its trainers. Trainers of the course (and
admins) highlight, hide and restore; anyone who may read may report once per comment. Hidden
comments stay in the database (for the audit trail) and show to trainers only.
"""

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import User
from app.core import audit
from app.core.clock import utcnow
from app.core.signals import content_published, notification_requested
from app.core.transactions import insert_in_savepoint
from app.core.urls import site_path
from app.extensions import db
from courses.models import CommentReport, Course, Lesson, LessonComment
from courses.services.access import enrollment_for, get_lesson_for
from courses.services.base import CourseError

BODY_MAX = 2000


def can_discuss(user, course: Course) -> bool:
    return course.can_edit(user) or enrollment_for(user, course.id) is not None


def get_comment_for(comment_id: int, user) -> LessonComment:
    comment = db.session.get(LessonComment, comment_id)
    if comment is None:
        raise NotFound(_("评论不存在。"))
    lesson = get_lesson_for(comment.lesson_id, user)
    if comment.hidden_at is not None and not lesson.course.can_edit(user):
        raise NotFound(_("评论不存在。"))
    return comment


def add_comment(lesson: Lesson, user: User, body: str, parent: LessonComment | None = None) -> LessonComment:
    if not can_discuss(user, lesson.course):
        raise Forbidden(_("加入课程后才能参与讨论。"))
    body = (body or "").strip()
    if not body:
        raise CourseError(_("评论内容不能为空。"))
    if len(body) > BODY_MAX:
        raise CourseError(_("评论不能超过 %(max)s 字。", max=BODY_MAX))
    if parent is not None:
        if parent.lesson_id != lesson.id:
            raise CourseError(_("只能回复本课时的评论。"))
        parent = db.session.get(LessonComment, parent.parent_id) if parent.parent_id else parent
    comment = LessonComment(
        lesson_id=lesson.id, user_id=user.id, parent_id=parent.id if parent else None, body=body
    )
    db.session.add(comment)
    db.session.flush()
    audit.record(user, "course.comment.add", comment, f"{user} 评论课时《{lesson.title}》")
    content_published.send(
        "courses", user_id=user.id, kind="lesson_comment", target=f"lesson:{lesson.id}", item_id=comment.id
    )
    if parent is not None and parent.user_id != user.id:
        notification_requested.send(
            "courses",
            user_ids=[parent.user_id],
            title="您的评论有了新回复",
            body=f"{user.name} 回复了您在《{lesson.title}》下的评论。",
            url=site_path("courses.lesson", lesson_id=lesson.id) + f"#comment-{parent.id}",
            kind="course.comment_reply",
        )
    return comment


def _require_moderator(comment: LessonComment, actor: User) -> Course:
    course = db.session.get(Lesson, comment.lesson_id).course
    if not course.can_edit(actor):
        raise Forbidden(_("只有本课程的讲师可以管理评论。"))
    return course


def set_highlight(comment: LessonComment, actor: User, highlighted: bool) -> None:
    _require_moderator(comment, actor)
    comment.is_highlighted = highlighted
    db.session.flush()
    audit.record(
        actor,
        "course.comment.highlight" if highlighted else "course.comment.unhighlight",
        comment,
        "精选评论" if highlighted else "取消精选",
    )


def report_comment(comment: LessonComment, user: User, reason: str) -> None:
    if comment.user_id == user.id:
        raise CourseError(_("不能举报自己的评论。"))
    if not insert_in_savepoint(
        CommentReport(comment_id=comment.id, user_id=user.id, reason=(reason or "").strip()[:200])
    ):
        raise CourseError(_("您已举报过这条评论，我们会尽快处理。"))
    comment.report_count = LessonComment.report_count + 1
    db.session.flush()
    db.session.refresh(comment, ["report_count"])
    audit.record(user, "course.comment.report", comment, f"{user} 举报评论：{reason or '未说明理由'}")
    if comment.report_count == 1:
        lesson = db.session.get(Lesson, comment.lesson_id)
        course = lesson.course
        notification_requested.send(
            "courses",
            user_ids=[course.owner_id, *[t.id for t in course.co_trainers]],
            title="课时评论被举报",
            body=f"《{lesson.title}》下的一条评论被举报，请查看并处理。",
            url=site_path("courses.lesson", lesson_id=lesson.id) + f"#comment-{comment.id}",
            kind="course.comment_reported",
        )


def hide_comment(comment: LessonComment, actor: User, hidden: bool = True) -> None:
    _require_moderator(comment, actor)
    if hidden:
        comment.hidden_at, comment.hidden_by_id = utcnow(), actor.id
    else:
        comment.hidden_at, comment.hidden_by_id = None, None
    db.session.flush()
    audit.record(
        actor,
        "course.comment.hide" if hidden else "course.comment.unhide",
        comment,
        ("隐藏" if hidden else "恢复") + f"评论：{comment.body[:60]}",
    )


def thread(lesson: Lesson, viewer: User) -> list[tuple[LessonComment, list[LessonComment]]]:
    """Top-level comments (highlighted first, newest next) with their replies (oldest first);
    hidden ones only for the course's trainers. Two queries."""
    moderator = lesson.course.can_edit(viewer)
    query = sa.select(LessonComment).where(LessonComment.lesson_id == lesson.id)
    if not moderator:
        query = query.where(LessonComment.hidden_at.is_(None))
    comments = db.session.scalars(query.order_by(LessonComment.created_at, LessonComment.id)).all()
    replies: dict[int, list[LessonComment]] = {}
    top = []
    for comment in comments:
        if comment.parent_id is None:
            top.append(comment)
        else:
            replies.setdefault(comment.parent_id, []).append(comment)
    top.sort(key=lambda c: (not c.is_highlighted, -c.created_at.timestamp(), -c.id))
    return [(c, replies.get(c.id, [])) for c in top]
