"""Points for learning, one source at a time, through the pages and the API a member uses, with the
server's clock moved by hand: media time records credited, lessons and courses completed, article
lessons read, the day's first sign-in, published comments and answers; each against its daily cap."""

import sqlalchemy as sa

from app.extensions import db
from app.qa import services as qa_services
from app.quiz.models import PointsEntry
from app.quiz.points import points_today
from app.quiz.points_chain import verify_points
from courses import discussion
from courses.models import Lesson
from courses.services import enrol
from tests.courses.test_learning import watch
from tests.helpers import config_set


def entries(user, action) -> list[PointsEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(PointsEntry)
            .where(PointsEntry.user_id == user.id, PointsEntry.action == action)
            .order_by(PointsEntry.id)
        )
    )


def earned(user, action) -> int:
    return sum(e.points for e in entries(user, action))


def beat(client, lesson_id, seq, position, event="tick", session="tab-aaaa-0001", visible=True, rate=1):
    payload = {
        "session_id": session,
        "seq": seq,
        "position": position,
        "rate": rate,
        "visible": visible,
        "event": event,
    }
    response = client.post(f"/api/v1/lessons/{lesson_id}/progress", json=payload)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def enrolled(course, member):
    enrol(course, member)
    db.session.commit()
    return course


def first_lesson(course) -> Lesson:
    return db.session.scalars(
        sa.select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.id)
    ).first()


# --- media time ---------------------------------------------------------------------------------


def test_one_point_per_five_credited_minutes_of_video(client, login, clock, trainer, member, make_course):
    course = enrolled(make_course(trainer, lessons=[("video", 3600.0)]), member)
    login(member)
    lesson = first_lesson(course)
    watch(client, clock, lesson.id, 14 * 60)  # 14 minutes: two whole blocks of five
    assert earned(member, "media") == 2
    assert [e.ref for e in entries(member, "media")] == ["media:2026-03-02:1", "media:2026-03-02:2"]
    assert points_today(member.id)["media"] == {"points": 2, "cap": 6}


def test_media_points_stop_at_the_daily_cap_and_start_again_the_next_day(
    client, login, clock, trainer, member, make_course
):
    course = enrolled(make_course(trainer, lessons=[("video", 3 * 3600.0)]), member)
    login(member)
    lesson = first_lesson(course)
    watch(client, clock, lesson.id, 40 * 60)  # 8 blocks of five minutes, the cap is 6
    assert earned(member, "media") == 6
    assert [e.points for e in entries(member, "media")][-2:] == [0, 0]  # on the ledger, worth nothing
    clock.advance(24 * 3600)
    login(member)
    watch(client, clock, lesson.id, 5 * 60, start=40 * 60, session="tab-bbbb-0002")
    assert earned(member, "media") == 7
    assert list(verify_points()) == []


def test_time_records_did_not_credit_earns_no_media_points(
    client, login, clock, trainer, member, make_course
):
    """Sixteen-times speed, seeking and a hidden page: points follow what records credited, never the
    position the client claims."""
    course = enrolled(make_course(trainer, lessons=[("video", 3600.0)]), member)
    login(member)
    lesson = first_lesson(course)
    beat(client, lesson.id, 0, 0, "play", rate=16)
    seq, position = 0, 0.0
    for _ in range(20):  # five minutes of wall time claiming 40 minutes of media
        clock.advance(15)
        seq, position = seq + 1, position + 120
        state = beat(client, lesson.id, seq, position, rate=16)
    assert state["covered_seconds"] <= 5 * 60 * 2 + 3 + 0.01  # at most the 2× cap and one tolerance
    assert earned(member, "media") == int(state["covered_seconds"] // 300) == 2
    # Seeking to the end, then replaying old heartbeats: nothing more.
    clock.advance(1)
    beat(client, lesson.id, seq + 1, 3590, "seek")
    for old in range(1, 6):
        beat(client, lesson.id, old, 3599)
    # Hidden for ten minutes: nothing.
    beat(client, lesson.id, seq + 2, 3590, "hidden", visible=False)
    clock.advance(600)
    beat(client, lesson.id, seq + 3, 3599, visible=False)
    assert earned(member, "media") == 2


# --- lessons and courses ------------------------------------------------------------------------


def test_completing_a_lesson_and_the_course_earn_once(client, login, clock, trainer, member, make_course):
    course = enrolled(make_course(trainer, lessons=[("video", 60.0), ("video", 60.0)]), member)
    login(member)
    first, second = db.session.scalars(
        sa.select(Lesson.id).where(Lesson.course_id == course.id).order_by(Lesson.id)
    ).all()
    watch(client, clock, first, 60)
    assert [e.ref for e in entries(member, "lesson")] == [f"lesson:{first}"]
    assert earned(member, "course") == 0
    watch(client, clock, first, 60, session="tab-cccc-0003")  # again: completed already
    watch(client, clock, second, 60, session="tab-dddd-0004")
    assert earned(member, "lesson") == 2
    assert [(e.ref, e.points) for e in entries(member, "course")] == [(f"course:{course.id}", 5)]
    assert points_today(member.id)["course"] == {"points": 5, "cap": 10}


def test_lesson_points_respect_the_daily_cap(app, client, login, clock, trainer, member, make_course):
    course = enrolled(make_course(trainer, lessons=[("video", 30.0)] * 3), member)
    login(member)
    with config_set(app, POINTS_DAILY_CAPS={**app.config["POINTS_DAILY_CAPS"], "lesson": 2}):
        for lesson_id in db.session.scalars(sa.select(Lesson.id).where(Lesson.course_id == course.id)):
            watch(client, clock, lesson_id, 30, session=f"tab-lesson-{lesson_id:04d}")
    assert [e.points for e in entries(member, "lesson")] == [1, 1, 0]


# --- article lessons ----------------------------------------------------------------------------


def test_an_article_lesson_earns_after_a_minute_on_screen_and_the_end(
    client, login, clock, trainer, member, make_course
):
    course = enrolled(make_course(trainer, lessons=[("article", 120.0)]), member)
    login(member)
    lesson = first_lesson(course)
    beat(client, lesson.id, 0, 0, "play")
    clock.advance(15)
    beat(client, lesson.id, 1, 15)
    clock.advance(15)
    beat(client, lesson.id, 2, 30, "ended")  # at the end after 30 s: not yet long enough
    assert earned(member, "article") == 0
    seq = 2
    for _ in range(3):
        clock.advance(15)
        seq += 1
        beat(client, lesson.id, seq, 30 + 15 * (seq - 2))
    assert [(e.ref, e.points) for e in entries(member, "article")] == [(f"lesson:{lesson.id}", 1)]
    clock.advance(15)
    beat(client, lesson.id, seq + 1, 100, "ended")
    assert earned(member, "article") == 1


def test_fast_heartbeats_claiming_reading_time_earn_nothing(
    client, login, clock, trainer, member, make_course
):
    course = enrolled(make_course(trainer, lessons=[("article", 600.0)]), member)
    login(member)
    lesson = first_lesson(course)
    for seq in range(40):  # forty heartbeats in one second, claiming ten minutes of reading
        beat(client, lesson.id, seq, min(600, 15 * seq), "play" if seq == 0 else "tick")
    beat(client, lesson.id, 40, 600, "ended")
    clock.advance(1)
    beat(client, lesson.id, 41, 600, "ended")
    assert earned(member, "article") == 0


# --- signing in, comments and answers -----------------------------------------------------------


def test_the_first_sign_in_of_the_day_earns_one_point(client, login, clock, member):
    login(member)
    client.post("/logout")
    clock.advance(3600)
    login(member)
    assert [(e.ref, e.points) for e in entries(member, "login")] == [("login:2026-03-02", 1)]
    clock.advance(24 * 3600)
    login(member)
    assert earned(member, "login") == 2


def test_published_comments_and_answers_earn_two_a_day_and_reposting_earns_nothing(
    clock, trainer, member, make_course, create_user
):
    course = enrolled(
        make_course(trainer, lessons=[("video", 60.0), ("video", 60.0), ("video", 60.0)]), member
    )
    lessons = db.session.scalars(
        sa.select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.id)
    ).all()
    first = discussion.add_comment(lessons[0], member, "联系实际谈体会。")
    discussion.hide_comment(first, trainer)  # removed by the trainer...
    discussion.add_comment(lessons[0], member, "联系实际谈体会。")  # ...and posted again: nothing more
    discussion.add_comment(lessons[0], member, "再补充一点。")
    db.session.commit()
    assert earned(member, "comment") == 1
    asker = create_user("member", name="提问人")
    question = qa_services.ask_question(asker, "三会一课怎么记录？", "请教具体做法。", ["三会一课"])
    qa_services.answer_question(question, member, "按照记录本的格式填写。")
    discussion.add_comment(lessons[1], member, "第三条评论。")  # the day's cap of 2 is reached
    db.session.commit()
    assert [e.points for e in entries(member, "comment")] == [1, 1, 0]
    clock.advance(24 * 3600)
    discussion.add_comment(lessons[2], member, "第二天的评论。")
    db.session.commit()
    assert earned(member, "comment") == 3


def test_the_existing_quiz_points_are_unchanged(app):
    caps = app.config["POINTS_DAILY_CAPS"]
    assert {k: caps[k] for k in ("daily_quiz", "challenge", "contest", "duel", "quiz_pass")} == {
        "daily_quiz": 5,
        "challenge": 6,
        "contest": 10,
        "duel": 6,
        "quiz_pass": 10,
    }
