"""Lesson discussion: comments and replies, highlight, report, hide with audit."""

import sqlalchemy as sa

from app.core.models import AuditEntry
from app.extensions import db
from courses import discussion, services
from courses.models import CommentReport, LessonComment
from tests.helpers import count


def setup(make_course, trainer, member):
    course = make_course(trainer, lessons=[("article", 120)])
    services.enrol(course, member)
    db.session.commit()
    return course.chapters[0].lessons[0]


def test_enrolled_members_comment_and_reply(
    client, login, trainer, member, create_user, make_course, notifications
):
    lesson = setup(make_course, trainer, member)
    login(member)
    client.post(f"/courses/lessons/{lesson.id}/comments", data={"body": "这一课讲得很透彻"})
    comment = db.session.scalars(sa.select(LessonComment)).one()
    client.post("/logout")
    login(trainer)
    client.post(
        f"/courses/lessons/{lesson.id}/comments", data={"body": "谢谢，欢迎继续提问", "parent_id": comment.id}
    )
    reply = db.session.scalars(sa.select(LessonComment).where(LessonComment.parent_id == comment.id)).one()
    assert reply.user_id == trainer.id
    assert any(n["kind"] == "course.comment_reply" and n["user_ids"] == [member.id] for n in notifications)
    page = client.get(f"/courses/lessons/{lesson.id}").get_data(as_text=True)
    assert page.index("这一课讲得很透彻") < page.index("谢谢，欢迎继续提问")


def test_strangers_cannot_comment(client, login, trainer, member, create_user, make_course):
    lesson = setup(make_course, trainer, member)
    stranger = create_user()
    login(stranger)
    # opening the lesson page enrols; posting without having done so is refused
    assert client.post(f"/courses/lessons/{lesson.id}/comments", data={"body": "路过"}).status_code == 403
    assert count(LessonComment) == 0


def test_report_once_then_trainer_hides_with_audit(client, login, trainer, member, create_user, make_course):
    lesson = setup(make_course, trainer, member)
    author = create_user(name="发帖人")
    services.enrol(lesson.course, author)
    comment = discussion.add_comment(lesson, author, "不当言论")
    db.session.commit()

    login(member)
    response = client.post(
        f"/courses/comments/{comment.id}/report", data={"reason": "不当"}, follow_redirects=True
    )
    assert "已举报" in response.get_data(as_text=True)
    response = client.post(f"/courses/comments/{comment.id}/report", follow_redirects=True)
    assert "已举报过" in response.get_data(as_text=True)
    assert count(CommentReport) == 1
    assert client.post(f"/courses/comments/{comment.id}/hide").status_code == 403  # members cannot hide
    client.post("/logout")

    login(trainer)
    page = client.get(f"/courses/lessons/{lesson.id}").get_data(as_text=True)
    assert "被举报 1 次" in page
    client.post(f"/courses/comments/{comment.id}/hide")
    assert (
        count(AuditEntry, AuditEntry.action == "course.comment.hide", AuditEntry.target_id == comment.id) == 1
    )
    assert "不当言论" in client.get(f"/courses/lessons/{lesson.id}").get_data(
        as_text=True
    )  # trainers still see it
    client.post("/logout")

    login(member)
    assert "不当言论" not in client.get(f"/courses/lessons/{lesson.id}").get_data(as_text=True)


def test_trainer_highlights_a_comment_to_the_top(client, login, trainer, member, make_course):
    lesson = setup(make_course, trainer, member)
    from courses.discussion import add_comment

    first = add_comment(lesson, member, "第一条心得")
    add_comment(lesson, member, "第二条心得")
    db.session.commit()
    login(trainer)
    client.post(f"/courses/comments/{first.id}/highlight")
    page = client.get(f"/courses/lessons/{lesson.id}").get_data(as_text=True)
    assert page.index("第一条心得") < page.index("第二条心得")
    assert "精选" in page
