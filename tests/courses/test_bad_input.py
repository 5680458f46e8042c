"""Bad input to the course pages gets a clear 4xx in Chinese, never a 500 and never half-written data."""

import pytest

from app.core.models import AuditEntry
from courses.models import ClassSession, Course, Lesson, LessonComment
from tests.helpers import count

BEYOND_64_BITS = 2**63


@pytest.fixture
def draft(trainer, make_course):
    return make_course(trainer, lessons=[("article", 120)], publish=False)


def test_sweep_a_json_body_posted_to_the_course_lesson_and_class_forms_is_an_unfilled_form(
    client, login, trainer, make_course, draft
):
    """The course, lesson and class forms derived from FlaskForm, which fills itself from a JSON
    body: a string or a number as the body answered 500."""
    flipped = make_course(trainer, title="翻转课堂", kind="flipped", lessons=[("article", 60)])
    login(trainer)
    urls = (
        "/courses/new",
        f"/courses/{draft.id}/edit",
        f"/courses/chapters/{draft.chapters[0].id}/lessons/new",
        f"/courses/lessons/{draft.chapters[0].lessons[0].id}/edit",
        f"/courses/{flipped.id}/classes/new",
        f"/courses/{draft.id}/chapters",
        f"/courses/{draft.id}/co-trainers",
    )
    before = count(AuditEntry)
    for url in urls:
        for body in ("x", 1, {"title": 5, "kind": [], "credit_hours": {"x": 1}, "starts_at": 7}):
            response = client.post(url, json=body)
            assert response.status_code < 500, (url, body)
    assert count(AuditEntry) == before, [(e.action, e.summary) for e in AuditEntry.query.all()][before:]
    assert count(Course) == 2


@pytest.mark.parametrize("parent_id", ["abc", "²", str(BEYOND_64_BITS), "1.5", "-3"])
def test_sweep_a_reply_to_a_parent_id_that_is_no_id_is_not_found(
    client, login, trainer, member, make_course, parent_id
):
    course = make_course(trainer, lessons=[("article", 60)])
    lesson = course.chapters[0].lessons[0]
    login(member)
    client.get(f"/courses/lessons/{lesson.id}")  # enrols
    response = client.post(
        f"/courses/lessons/{lesson.id}/comments", data={"body": "同意楼上", "parent_id": parent_id}
    )
    assert response.status_code == 404
    assert "要回复的评论不存在" in response.get_data(as_text=True)
    assert count(LessonComment) == 0


@pytest.mark.parametrize("field", ["starts_at", "ends_at", "homework_due_at"])
def test_sweep_a_class_in_the_year_1_is_refused_with_a_message(client, login, trainer, make_course, field):
    course = make_course(trainer, title="翻转课堂", kind="flipped", lessons=[("article", 60)])
    login(trainer)
    data = {
        "title": "研讨",
        "starts_at": "2026-05-01T09:00",
        "ends_at": "2026-05-01T11:00",
        "place": "党校 201",
        "credit_minutes": "90",
        "homework_prompt": "写体会",
        "homework_due_at": "2026-05-08T09:00",
    }
    response = client.post(f"/courses/{course.id}/classes/new", data=data | {field: "0001-01-01T00:00"})
    assert response.status_code == 422
    assert "请填写 2000 年到 2099 年之间的时间" in response.get_data(as_text=True)
    assert count(ClassSession) == 0
    assert client.post(f"/courses/{course.id}/classes/new", data=data).status_code == 302  # the honest one


@pytest.mark.parametrize("asset_id", ["²", "٣", str(BEYOND_64_BITS), "9" * 40])
def test_sweep_a_lesson_whose_media_id_is_no_id_saves_without_media(client, login, draft, trainer, asset_id):
    login(trainer)
    response = client.post(
        f"/courses/chapters/{draft.chapters[0].id}/lessons/new",
        data={"title": "第二课", "kind": "video", "media_asset_id": asset_id, "completion_threshold": "95"},
    )
    assert response.status_code == 302
    lesson = Lesson.query.filter_by(title="第二课").one()
    assert lesson.media_asset_id is None


@pytest.mark.parametrize("share", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_sweep_a_lesson_share_that_is_no_number_is_refused(client, login, draft, trainer, share):
    login(trainer)
    response = client.post(
        f"/courses/chapters/{draft.chapters[0].id}/lessons/new",
        data={
            "title": "第二课",
            "kind": "article",
            "body": "正文",
            "completion_threshold": "95",
            "credit_share": share,
        },
    )
    assert response.status_code == 422
    assert "课时学时必须是数字" in response.get_data(as_text=True)
    assert count(Lesson) == 1


@pytest.mark.parametrize("hours", ["NaN", "sNaN", "Infinity"])
def test_sweep_course_hours_that_are_no_number_are_refused(client, login, trainer, hours):
    login(trainer)
    response = client.post(
        "/courses/new", data={"title": "新课", "category": "theory", "kind": "mooc", "credit_hours": hours}
    )
    assert response.status_code == 422
    assert "学时必须是数字" in response.get_data(as_text=True)
    assert count(Course) == 0


def test_sweep_a_gating_quiz_id_no_column_holds_is_refused(client, login, draft, trainer):
    login(trainer)
    response = client.post(
        f"/courses/chapters/{draft.chapters[0].id}/lessons/new",
        data={
            "title": "第二课",
            "kind": "article",
            "body": "正文",
            "completion_threshold": "95",
            "gating_quiz_id": str(2**40),
        },
    )
    assert response.status_code == 422
    assert count(Lesson) == 1
