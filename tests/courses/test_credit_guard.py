"""Finding 6: trainers cannot mint hours. Lesson shares fit the course's 学时 on every save, a published
course's 学时 change is audited and shown, no member's lessons credit more than the course states,
and a course's trainers earn nothing from it."""

from decimal import Decimal

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import Forbidden

from app.core.models import AuditEntry
from app.extensions import db
from app.records.models import HoursEntry, LessonProgress
from courses import services
from courses.models import Enrollment, Lesson
from tests.courses.test_learning import watch
from tests.helpers import count


def lesson_form(lesson: Lesson, **overrides) -> dict:
    data = {
        "title": lesson.title,
        "kind": lesson.kind.value,
        "media_asset_id": str(lesson.media_asset_id or ""),
        "completion_threshold": "95",
        "credit_share": "",
    }
    return data | overrides


def course_form(course, **overrides) -> dict:
    data = {
        "title": course.title,
        "category": course.category,
        "kind": course.kind.value,
        "credit_hours": str(course.credit_hours),
    }
    return data | overrides


def hours_of(user) -> Decimal:
    total = db.session.scalar(sa.select(sa.func.sum(HoursEntry.hours)).where(HoursEntry.user_id == user.id))
    return Decimal(str(total or 0)).quantize(Decimal("0.01"))


@pytest.fixture
def two_hours(trainer, make_course):
    """A published course of 2.00 学时: two 60 s videos, 1.00 each."""
    return make_course(trainer, lessons=[("video", 60), ("video", 60)], credit_hours="2.00")


def test_finding6_trainer_cannot_give_a_lesson_a_share_of_200(client, login, trainer, two_hours):
    first, second = two_hours.chapters[0].lessons
    login(trainer)
    response = client.post(f"/courses/lessons/{first.id}/edit", data=lesson_form(first, credit_share="200"))
    assert response.status_code == 422
    assert "各课时设定的学时之和（200.00）超过了课程学时（2.00）" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Lesson, first.id).credit_share is None

    # two shares that each fit but together do not
    ok = client.post(f"/courses/lessons/{first.id}/edit", data=lesson_form(first, credit_share="1.50"))
    assert ok.status_code == 302
    response = client.post(
        f"/courses/lessons/{second.id}/edit", data=lesson_form(second, credit_share="1.00")
    )
    assert response.status_code == 422
    assert "（2.50）" in response.get_data(as_text=True)
    # a new lesson cannot add to the sum either
    response = client.post(
        f"/courses/chapters/{two_hours.chapters[0].id}/lessons/new",
        data={
            "title": "加课",
            "kind": "article",
            "body": "正文",
            "completion_threshold": "95",
            "credit_share": "1",
        },
    )
    assert response.status_code == 422
    assert count(Lesson) == 2
    db.session.expire_all()
    assert services.credit_shares(db.session.get(type(two_hours), two_hours.id)) == {
        first.id: Decimal("1.50"),
        second.id: Decimal("0.50"),  # the lesson without a share takes the rest
    }


def test_finding6_shares_of_a_published_course_set_on_every_lesson_must_add_up(
    client, login, trainer, two_hours
):
    first, second = two_hours.chapters[0].lessons
    login(trainer)
    assert (
        client.post(
            f"/courses/lessons/{first.id}/edit", data=lesson_form(first, credit_share="1.00")
        ).status_code
        == 302
    )
    response = client.post(
        f"/courses/lessons/{second.id}/edit", data=lesson_form(second, credit_share="0.50")
    )
    assert response.status_code == 422
    assert "各课时设定的学时之和（1.50）应等于课程学时（2.00）" in response.get_data(as_text=True)


def test_finding6_course_hours_cannot_fall_below_the_shares_set(client, login, trainer, two_hours):
    first, _second = two_hours.chapters[0].lessons
    login(trainer)
    client.post(f"/courses/lessons/{first.id}/edit", data=lesson_form(first, credit_share="1.50"))
    response = client.post(f"/courses/{two_hours.id}/edit", data=course_form(two_hours, credit_hours="1"))
    assert response.status_code == 422
    assert "各课时设定的学时之和（1.50）超过了课程学时（1.00）" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(two_hours), two_hours.id).credit_hours == Decimal("2.00")


def test_finding6_a_published_courses_hours_change_is_audited_and_shown_to_its_trainers(
    client, login, trainer, member, two_hours
):
    login(trainer)
    response = client.post(f"/courses/{two_hours.id}/edit", data=course_form(two_hours, credit_hours="3"))
    assert response.status_code == 302
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "course.credit_hours")).one()
    assert (entry.actor_id, entry.target_id, entry.details) == (
        trainer.id,
        two_hours.id,
        {"old": "2.00", "new": "3.00"},
    )
    page = client.get(f"/courses/{two_hours.id}").get_data(as_text=True)
    assert "学时变更记录" in page
    assert "学时由 2.00 改为 3.00" in page
    client.post("/logout")
    login(member)
    assert "学时变更记录" not in client.get(f"/courses/{two_hours.id}").get_data(as_text=True)


def test_finding6_lowering_the_hours_after_a_member_finished_a_lesson_never_credits_more_than_the_course(
    client,
    login,
    trainer,
    member,
    two_hours,
    clock,
):
    first, second = two_hours.chapters[0].lessons
    login(member)
    client.get(f"/courses/lessons/{first.id}")
    assert watch(client, clock, first.id, 60).get_json()["data"]["completed"] is True
    assert hours_of(member) == Decimal("1.00")
    client.post("/logout")

    login(trainer)  # 学时 down to 1.20: the second lesson's share is now 0.60
    assert (
        client.post(
            f"/courses/{two_hours.id}/edit", data=course_form(two_hours, credit_hours="1.2")
        ).status_code
        == 302
    )
    client.post("/logout")

    login(member)
    client.get(f"/courses/lessons/{second.id}")
    result = watch(client, clock, second.id, 60, session="tab-bbbb-0002").get_json()["data"]
    assert result["completed"] is True
    assert hours_of(member) == Decimal("1.20")  # 1.00 + 0.20, not 1.00 + 0.60


def test_finding6_a_member_already_credited_the_whole_course_gets_nothing_more(
    client,
    login,
    trainer,
    member,
    two_hours,
    clock,
):
    first, second = two_hours.chapters[0].lessons
    login(member)
    client.get(f"/courses/lessons/{first.id}")
    watch(client, clock, first.id, 60)
    client.post("/logout")
    login(trainer)
    client.post(f"/courses/{two_hours.id}/edit", data=course_form(two_hours, credit_hours="0.5"))
    client.post("/logout")
    login(member)
    client.get(f"/courses/lessons/{second.id}")
    watch(client, clock, second.id, 60, session="tab-bbbb-0002")
    assert hours_of(member) == Decimal("1.00")  # earned before the change, kept; nothing added


def test_finding6_a_trainer_watching_their_own_published_course_to_the_end_gets_no_hours(
    client,
    login,
    trainer,
    two_hours,
    clock,
):
    first, second = two_hours.chapters[0].lessons
    login(trainer)
    page = client.get(f"/courses/lessons/{first.id}").get_data(as_text=True)
    assert 'data-preview="true"' in page  # its trainers preview the course
    course_page = client.get(f"/courses/{two_hours.id}").get_data(as_text=True)
    assert "讲授的课程不计学时" in course_page
    assert 'data-testid="enrol"' not in course_page
    refused = client.post(f"/courses/{two_hours.id}/enrol", follow_redirects=True)
    assert "讲授的课程不计学时" in refused.get_data(as_text=True)
    api = client.post(f"/api/v1/courses/{two_hours.id}/enrol")
    assert api.status_code == 409
    assert "讲授的课程不计学时" in api.get_json()["errors"][0]["message"]
    assert count(Enrollment) == 0
    for lesson in (first, second):  # the player's heartbeats, sent anyway
        beat = {"session_id": "tab-self-0001", "seq": 0, "position": 0, "rate": 1, "visible": True}
        response = client.post(f"/api/v1/lessons/{lesson.id}/progress", json=beat | {"event": "play"})
        assert response.status_code == 403
    assert count(HoursEntry) == 0
    assert count(LessonProgress) == 0


def test_finding6_a_co_trainer_enrolled_before_they_taught_earns_nothing_and_writes_no_entry(
    client,
    login,
    trainer,
    create_user,
    two_hours,
    clock,
):
    colleague = create_user("trainer", "member", name="协作讲师")
    services.enrol(two_hours, colleague)
    services.add_co_trainer(two_hours, colleague, trainer)
    db.session.commit()
    first = two_hours.chapters[0].lessons[0]
    with pytest.raises(Forbidden):
        services.lesson_facts_for(first.id, colleague)
    login(colleague)
    assert 'data-preview="true"' in client.get(f"/courses/lessons/{first.id}").get_data(as_text=True)
    beat = {"session_id": "tab-self-0002", "seq": 0, "position": 0, "rate": 1, "visible": True}
    response = client.post(f"/api/v1/lessons/{first.id}/progress", json=beat | {"event": "play"})
    assert response.status_code == 403
    assert count(HoursEntry) == 0
    assert count(LessonProgress) == 0
