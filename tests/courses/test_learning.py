"""Members: the catalog, the course page, enrolment, the lesson player, progress and completion."""

import re
from collections import Counter
from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.records.models import HoursEntry, LessonProgress, PlaybackSession
from courses import services
from courses.models import Course, CourseStatus, Enrollment
from media_pipeline import services as media_services
from tests.helpers import count


def watch(client, clock, lesson_id, seconds, *, start=0.0, session="tab-aaaa-0001", step=15.0):
    """Play ``seconds`` of a lesson through the progress API the way the player does."""
    position, seq = start, 0
    payload = {
        "session_id": session,
        "seq": seq,
        "position": position,
        "rate": 1,
        "visible": True,
        "event": "play",
    }
    result = client.post(f"/api/v1/lessons/{lesson_id}/progress", json=payload)
    while position < start + seconds:
        clock.advance(step)
        position = min(start + seconds, position + step)
        seq += 1
        payload = {
            "session_id": session,
            "seq": seq,
            "position": position,
            "rate": 1,
            "visible": True,
            "event": "tick",
        }
        result = client.post(f"/api/v1/lessons/{lesson_id}/progress", json=payload)
    assert result.status_code == 200, result.get_json()
    return result


def test_catalog_lists_published_courses_only_with_filters(client, login, trainer, member, make_course):
    make_course(trainer, title="必修：党章", is_required=True, category="rules")
    make_course(trainer, title="选修：党史故事", category="history")
    make_course(trainer, title="草稿课程", publish=False)
    login(member)
    page = client.get("/courses/").get_data(as_text=True)
    assert "必修：党章" in page
    assert "选修：党史故事" in page
    assert "草稿课程" not in page
    page = client.get("/courses/?required=1").get_data(as_text=True)
    assert "必修：党章" in page
    assert "选修：党史故事" not in page
    page = client.get("/courses/?category=history").get_data(as_text=True)
    assert "选修：党史故事" in page
    assert "必修：党章" not in page
    page = client.get("/courses/?q=党史").get_data(as_text=True)
    assert "选修：党史故事" in page
    assert "必修：党章" not in page
    assert "没有找到符合条件的课程" in client.get("/courses/?q=不存在的词").get_data(as_text=True)


def test_most_studied_sorts_by_enrolments(client, login, trainer, create_user, make_course):
    quiet = make_course(trainer, title="冷门课")
    busy = make_course(trainer, title="热门课")
    for _ in range(3):
        services.enrol(busy, create_user())
    services.enrol(quiet, create_user())
    db.session.commit()
    login(create_user())
    page = client.get("/courses/?sort=popular").get_data(as_text=True)
    assert page.index("热门课") < page.index("冷门课")
    assert "3 人学习" in page


def test_catalog_is_a_fixed_number_of_queries(client, login, trainer, member, make_course, count_queries):
    make_course(trainer, title="课一")
    login(member)
    client.get("/courses/")
    with count_queries() as few:
        client.get("/courses/")
    for i in range(8):
        make_course(trainer, title=f"更多课程{i}")
    with count_queries() as many:
        client.get("/courses/")
    assert len(many) == len(few)


def _tables_read(statements: list[str]) -> Counter:
    """How many SELECTs read each table first (``SELECT course.id …`` → course)."""
    return Counter(m.group(1) for s in statements if (m := re.match(r"\s*SELECT (\w+)\.", s)))


def test_a_lesson_loads_its_course_and_its_media_once(
    client, login, trainer, member, make_course, count_queries
):
    """The request every play starts with: the course checked for access is the one used (it was
    dropped and loaded again with its trainers, and again joined to the enrolment), and the media
    asset loaded for the outline is the one played (it was loaded again with its renditions)."""
    course = make_course(trainer, title="三讲", lessons=[("video", 600)] * 3)
    services.enrol(course, member)
    db.session.commit()
    lesson = course.chapters[0].lessons[1]
    login(member)
    for url in (f"/api/v1/lessons/{lesson.id}", f"/courses/lessons/{lesson.id}"):
        client.get(url)
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        tables = _tables_read(statements)
        assert (tables["media_asset"], tables["media_rendition"]) == (1, 1), url
    api = f"/api/v1/lessons/{lesson.id}"
    with count_queries() as statements:
        data = client.get(api).get_json()["data"]
    assert data["playback"]["hls"]
    first, _second, third = course.chapters[0].lessons
    assert (data["previous_id"], data["next_id"]) == (first.id, third.id)
    tables = _tables_read(statements)
    assert (tables["course"], tables["course_enrollment"]) == (1, 1)
    assert len(statements) <= 15  # 23 before; the savepoints of the test's transaction included


def test_members_never_see_drafts(client, login, trainer, member, make_course):
    draft = make_course(trainer, title="未发布的草稿", publish=False)
    lesson = draft.chapters[0].lessons[0]
    login(member)
    assert client.get(f"/courses/{draft.id}").status_code == 404
    assert client.get(f"/courses/lessons/{lesson.id}").status_code == 404
    assert client.post(f"/courses/{draft.id}/enrol").status_code == 404
    assert client.get(f"/api/v1/courses/{draft.id}").status_code == 404
    assert client.get(f"/api/v1/lessons/{lesson.id}").status_code == 404
    assert all(c["id"] != draft.id for c in client.get("/api/v1/courses").get_json()["data"]["courses"])
    # the playback URL of its video: refused
    asset = db.session.get(media_services.MediaAsset, lesson.media_asset_id)
    assert media_services.can_view_asset(member, asset) is False
    key = asset.output_dir.rsplit("/", 1)[1]
    assert client.get(f"/media/{asset.id}/{key}/master.m3u8").status_code in (403, 404)
    assert count(Enrollment) == 0


def test_enrol_then_my_learning_lists_the_course(client, login, trainer, member, make_course):
    course = make_course(trainer, title="党史学习")
    login(member)
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert 'data-testid="enrol"' in page
    response = client.post(f"/courses/{course.id}/enrol", follow_redirects=True)
    assert "已加入课程" in response.get_data(as_text=True)
    assert client.post(f"/courses/{course.id}/enrol").status_code == 302  # twice is harmless
    assert count(Enrollment, Enrollment.user_id == member.id) == 1
    page = client.get("/courses/my").get_data(as_text=True)
    assert "党史学习" in page
    assert "已完成 0 / 1 课时" in page


def test_opening_a_lesson_enrols_and_renders_the_player(client, login, trainer, member, make_course, app):
    course = make_course(trainer, lessons=[("video", 120), ("article", 180)])
    video, article = course.chapters[0].lessons
    login(member)
    page = client.get(f"/courses/lessons/{video.id}").get_data(as_text=True)
    assert count(Enrollment, Enrollment.user_id == member.id) == 1
    assert 'data-hls="/media/' in page
    assert "master.m3u8" in page
    assert 'data-fallback="/media/' in page
    assert f'data-progress-url="/api/v1/lessons/{video.id}/progress"' in page
    assert 'data-preview="false"' in page
    assert "vendor/hls.light.min." in page
    rates = re.findall(r'<option value="([\d.]+)"[^>]*>[\d.]+×', page)
    assert rates
    assert max(float(r) for r in rates) == app.config["COURSES_PLAYER_MAX_RATE"]
    assert f'href="/courses/lessons/{article.id}"' in page  # next lesson
    article_page = client.get(f"/courses/lessons/{article.id}").get_data(as_text=True)
    assert 'id="reading-end"' in article_page
    assert 'data-kind="article"' in article_page
    # the enrolled member may now fetch the video's files (the pipeline's viewer hook)
    asset = db.session.get(media_services.MediaAsset, video.media_asset_id)
    assert media_services.can_view_asset(member, asset) is True


def test_trainer_previews_without_enrolling(client, login, trainer, make_course):
    course = make_course(trainer, publish=False)
    lesson = course.chapters[0].lessons[0]
    login(trainer)
    page = client.get(f"/courses/lessons/{lesson.id}").get_data(as_text=True)
    assert 'data-preview="true"' in page
    assert "预览模式" in page
    assert client.get(f"/courses/{course.id}/preview").status_code == 200
    assert count(Enrollment) == 0


def test_heartbeats_progress_resume_and_completion(client, login, trainer, member, make_course, clock):
    course = make_course(trainer, lessons=[("video", 60)])
    lesson = course.chapters[0].lessons[0]
    login(member)
    # not enrolled yet: the progress API refuses, records nothing
    refused = client.post(
        f"/api/v1/lessons/{lesson.id}/progress",
        json={
            "session_id": "tab-refused",
            "seq": 0,
            "position": 0,
            "rate": 1,
            "visible": True,
            "event": "play",
        },
    )
    assert refused.status_code == 403
    client.get(f"/courses/lessons/{lesson.id}")  # opening the lesson enrols

    result = watch(client, clock, lesson.id, 30).get_json()["data"]
    assert result["active"] is True
    assert result["completed"] is False
    page = client.get(f"/courses/lessons/{lesson.id}").get_data(as_text=True)
    assert 'data-resume="30.00"' in page  # resume from where the member stopped
    course_page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "继续学习" in course_page

    result = watch(client, clock, lesson.id, 30, start=30, session="tab-bbbb-0002").get_json()["data"]
    assert result["completed"] is True
    db.session.expire_all()
    enrollment = db.session.scalars(sa.select(Enrollment).where(Enrollment.user_id == member.id)).one()
    assert enrollment.completed_at is not None  # all lessons done: the course is complete
    page = client.get("/courses/my?tab=completed").get_data(as_text=True)
    assert "学习贯彻党的二十大精神" in page
    page = client.get(f"/courses/lessons/{lesson.id}").get_data(as_text=True)
    assert 'data-resume="0.00"' in page  # a completed lesson starts from the beginning again


def test_lesson_facts_follow_the_rule(trainer, member, make_course, create_user):
    from werkzeug.exceptions import Forbidden, NotFound

    course = make_course(trainer, lessons=[("video", 90), ("article", 180)], credit_hours="1.00")
    video = course.chapters[0].lessons[0]
    try:
        services.lesson_facts_for(999_999, member)
        raise AssertionError("unknown lesson accepted")
    except NotFound:
        pass
    try:
        services.lesson_facts_for(video.id, member)
        raise AssertionError("not enrolled, accepted")
    except Forbidden:
        pass
    services.enrol(course, member)
    facts = services.lesson_facts_for(video.id, member)
    assert facts.kind == "video"
    assert facts.duration == 90.0
    assert facts.course_id == course.id
    assert facts.completion_threshold == 0.95
    assert str(facts.credit_share) == "0.33"  # 90 s of 270 s of one 学时
    article = services.lesson_facts_for(course.chapters[0].lessons[1].id, member)
    assert (article.kind, article.duration, str(article.credit_share)) == ("article", 180.0, "0.67")
    archived = services.archive_course(course, trainer)
    assert archived.status == CourseStatus.ARCHIVED
    assert services.lesson_facts_for(video.id, member).lesson_id == video.id  # enrolled members may finish


def test_a_heartbeat_costs_the_same_few_statements_whatever_the_course_size(
    client, login, trainer, member, make_course, count_queries, clock
):
    def statements_per_tick(lessons: int) -> int:
        course = make_course(trainer, title=f"{lessons}讲", lessons=[("video", 600)] * lessons)
        services.enrol(course, member)
        db.session.commit()
        url = f"/api/v1/lessons/{course.chapters[0].lessons[0].id}/progress"
        beat = {"session_id": f"tab-{lessons:08d}", "seq": 0, "position": 0, "rate": 1, "visible": True}
        assert client.post(url, json=beat | {"event": "play"}).status_code == 200
        clock.advance(15)
        with count_queries() as statements:
            response = client.post(url, json=beat | {"seq": 1, "position": 15, "event": "tick"})
        assert response.get_json()["data"]["covered_seconds"] == 15
        return len([s for s in statements if "SAVEPOINT" not in s])

    login(member)
    statements_per_tick(1)  # the day's first credited media time also creates the day's points counter
    few, many = statements_per_tick(2), statements_per_tick(30)
    assert few == many
    # the user, the lesson's facts, the locked session and progress, their two updates, and the
    # credited media seconds carried towards the next point (积分, one UPDATE)
    assert many <= 8, many


def test_course_and_my_learning_pages_are_a_fixed_number_of_queries(
    client, login, trainer, member, make_course, count_queries
):
    first = make_course(trainer, title="课一", lessons=[("video", 60), ("article", 60)])
    services.enrol(first, member)
    db.session.commit()
    login(member)
    client.get("/courses/my")
    with count_queries() as few:
        client.get("/courses/my")
    for i in range(5):
        services.enrol(make_course(trainer, title=f"课{i}", lessons=[("video", 60), ("article", 60)]), member)
    db.session.commit()
    with count_queries() as many:
        client.get("/courses/my")
    assert len(many) == len(few)


def test_home_page_panels(client, login, trainer, member, make_course):
    course = make_course(trainer)
    services.enrol(course, member)
    db.session.commit()
    login(member)
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="courses-member-panel"' in page
    assert 'data-testid="continue-course"' in page
    client.post("/logout")
    login(trainer)
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="courses-trainer-panel"' in page
    assert "学习贯彻党的二十大精神" in page


def test_an_archived_course_leaves_the_catalog_but_enrolled_members_keep_it(
    client, login, trainer, member, create_user, make_course
):
    course = make_course(trainer, title="要归档的课")
    services.enrol(course, member)
    services.archive_course(course, trainer)
    db.session.commit()
    login(member)
    assert "要归档的课" not in client.get("/courses/").get_data(as_text=True)
    assert client.get(f"/courses/{course.id}").status_code == 200
    client.post("/logout")
    login(create_user())
    assert client.get(f"/courses/{course.id}").status_code == 404
    assert db.session.get(Course, course.id).status == CourseStatus.ARCHIVED


def test_the_catalog_search_links_to_full_text_search(client, login, trainer, member, make_course):
    make_course(trainer, title="党史故事")
    login(member)
    page = client.get("/courses/?q=党史").get_data(as_text=True)
    assert 'data-testid="full-search"' in page
    assert "/search?q=" in page
    assert "type=course" in page


def test_audio_and_document_lessons_render_their_players(client, login, trainer, member, make_course):
    course = make_course(trainer, lessons=[("audio", 300), ("document", 600)])
    audio, document = course.chapters[0].lessons
    login(member)
    page = client.get(f"/courses/lessons/{audio.id}").get_data(as_text=True)
    assert '<audio id="lesson-media"' in page
    assert 'id="player-quality"' not in page  # one audio rendition: nothing to choose
    page = client.get(f"/courses/lessons/{document.id}").get_data(as_text=True)
    assert f'data-url="/courses/lessons/{document.id}/document"' in page  # the in-page PDF reader
    assert 'id="reading-end"' in page
    assert 'data-duration="600.00"' in page  # the trainer's estimate, ten minutes


def test_deleting_a_lesson_drops_its_progress_but_keeps_the_hours_earned(
    client, login, trainer, member, make_course, clock
):
    course = make_course(trainer, lessons=[("video", 60), ("video", 60)], credit_hours="2.00")
    done, started = course.chapters[0].lessons
    done_id, started_id = done.id, started.id
    login(member)
    client.get(f"/courses/lessons/{done_id}")
    assert watch(client, clock, done_id, 60).get_json()["data"]["completed"] is True
    client.get(f"/courses/lessons/{started_id}")
    watch(client, clock, started_id, 30, session="tab-bbbb-0002")

    def hours():
        return db.session.scalar(
            sa.select(sa.func.sum(HoursEntry.hours)).where(HoursEntry.user_id == member.id)
        )

    assert hours() == Decimal("1.00")
    assert count(LessonProgress, LessonProgress.lesson_id == done_id) == 1
    assert count(PlaybackSession, PlaybackSession.lesson_id == done_id) == 1
    client.post("/logout")

    login(trainer)
    assert client.post(f"/courses/lessons/{done_id}/delete").status_code == 302
    client.post("/logout")

    db.session.expire_all()
    assert count(LessonProgress, LessonProgress.lesson_id == done_id) == 0
    assert count(PlaybackSession, PlaybackSession.lesson_id == done_id) == 0
    assert count(LessonProgress, LessonProgress.lesson_id == started_id) == 1  # other lessons untouched
    assert hours() == Decimal("1.00")  # the ledger is append-only: hours earned stay earned
    login(member)
    page = client.get(f"/courses/{course.id}")
    assert page.status_code == 200
    assert f"/courses/lessons/{done_id}" not in page.get_data(as_text=True)
    assert f"/courses/lessons/{started_id}" in page.get_data(as_text=True)
    mine = client.get("/courses/my")
    assert mine.status_code == 200
    assert course.title in mine.get_data(as_text=True)
    assert "1.00</strong>" in client.get("/records/me").get_data(as_text=True)
