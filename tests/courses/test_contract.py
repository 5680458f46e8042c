"""Issue 13: courses hands records complete, immutable lesson facts — the lesson's share of the
course's 学时 included, computed once per course version — and records never calls back."""

import dataclasses
import sys
from decimal import Decimal

import pytest

from app.extensions import db
from courses import services
from courses.services import shares
from media_pipeline.models import MediaAsset

COURSES = ("/courses/",)


def _calls_into_courses_after_facts(client, url, beat) -> tuple[list[str], list[str]]:
    """Profile one heartbeat request: (courses functions called before records took over,
    courses functions called after)."""
    before, after = [], []
    handed_over = False

    def profile(frame, event, _arg):
        nonlocal handed_over
        if event != "call":
            return
        code = frame.f_code
        if code.co_name == "record_heartbeat" and "/app/records/" in code.co_filename:
            handed_over = True
        if "/courses/" in code.co_filename and "/tests/" not in code.co_filename:
            (after if handed_over else before).append(f"{code.co_filename}:{code.co_name}")

    sys.setprofile(profile)
    try:
        response = client.post(url, json=beat)
    finally:
        sys.setprofile(None)
    assert response.status_code == 200, response.get_json()
    return before, after


def test_issue13_a_heartbeat_that_completes_nothing_touches_no_courses_code_after_the_facts(
    client,
    login,
    trainer,
    member,
    make_course,
    clock,
):
    course = make_course(trainer, lessons=[("video", 600), ("article", 120)])
    services.enrol(course, member)
    db.session.commit()
    login(member)
    url = f"/api/v1/lessons/{course.chapters[0].lessons[0].id}/progress"
    beat = {"session_id": "tab-contract-01", "seq": 0, "position": 0, "rate": 1, "visible": True}
    assert client.post(url, json=beat | {"event": "play"}).status_code == 200
    clock.advance(15)
    before, after = _calls_into_courses_after_facts(
        client, url, beat | {"seq": 1, "position": 15, "event": "tick"}
    )
    assert any(call.endswith(":lesson_facts_for") for call in before)  # the profiler sees courses
    assert after == []


def test_issue13_a_heartbeat_past_the_threshold_waiting_for_a_quiz_touches_no_courses_code(
    client,
    login,
    trainer,
    member,
    make_course,
    clock,
):
    """Before: every tick past the threshold of a lesson held back by its quiz asked courses for the
    share again (reading the whole course); now the share came with the facts."""
    course = make_course(trainer, lessons=[("video", 30)])
    lesson = course.chapters[0].lessons[0]
    lesson.gating_quiz_id = 424242  # never passed: the lesson stays incomplete
    services.enrol(course, member)
    db.session.commit()
    login(member)
    url = f"/api/v1/lessons/{lesson.id}/progress"
    beat = {"session_id": "tab-contract-03", "seq": 0, "position": 0, "rate": 1, "visible": True}
    client.post(url, json=beat | {"event": "play"})
    for seq, position in ((1, 15), (2, 30)):
        clock.advance(15)
        client.post(url, json=beat | {"seq": seq, "position": position, "event": "tick"})
    clock.advance(15)
    _before, after = _calls_into_courses_after_facts(
        client, url, beat | {"seq": 3, "position": 30, "event": "tick"}
    )
    replay = client.post(url, json=beat | {"seq": 3, "position": 30, "event": "tick"})  # the state, unchanged
    assert replay.get_json()["data"]["covered_ratio"] == 1
    assert replay.get_json()["data"]["completed"] is False
    assert after == []


def test_issue13_a_completing_heartbeat_reaches_courses_only_through_the_signal(
    client,
    login,
    trainer,
    member,
    make_course,
    clock,
):
    course = make_course(trainer, lessons=[("video", 15)])
    services.enrol(course, member)
    db.session.commit()
    login(member)
    url = f"/api/v1/lessons/{course.chapters[0].lessons[0].id}/progress"
    beat = {"session_id": "tab-contract-02", "seq": 0, "position": 0, "rate": 1, "visible": True}
    client.post(url, json=beat | {"event": "play"})
    clock.advance(15)
    _before, after = _calls_into_courses_after_facts(
        client, url, beat | {"seq": 1, "position": 15, "event": "tick"}
    )
    assert after, "the lesson completed: courses hears of it"
    assert after[0].endswith(":on_lesson_completed")  # the first courses code records reaches is the receiver


def test_issue13_lesson_facts_are_immutable_and_hold_the_share_as_a_decimal(trainer, member, make_course):
    course = make_course(trainer, lessons=[("video", 90), ("article", 180)], credit_hours="1.00")
    services.enrol(course, member)
    facts = services.lesson_facts_for(course.chapters[0].lessons[0].id, member)
    assert isinstance(facts.credit_share, Decimal)
    assert (facts.credit_share, facts.course_credit_hours) == (Decimal("0.33"), Decimal("1.00"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        facts.credit_share = Decimal("99")  # type: ignore[misc]


def test_issue13_shares_are_computed_once_per_course_version(
    monkeypatch, trainer, member, make_course, make_asset
):
    course = make_course(trainer, lessons=[("video", 60), ("video", 60)], credit_hours="2.00")
    services.enrol(course, member)
    db.session.commit()
    first, second = course.chapters[0].lessons
    computed = []
    real = shares.credit_shares
    monkeypatch.setattr(shares, "credit_shares", lambda *a, **k: computed.append(1) or real(*a, **k))

    for _ in range(3):
        assert services.lesson_facts_for(first.id, member).credit_share == Decimal("1.00")
    assert len(computed) <= 1  # once (or not at all, when this process already saw this version)

    def share_now(lesson) -> Decimal:
        db.session.commit()
        return services.lesson_facts_for(lesson.id, member).credit_share

    # every input of the shares gives the course a new version
    course.credit_hours = Decimal("3.00")
    assert share_now(first) == Decimal("1.50")
    db.session.get(MediaAsset, second.media_asset_id).duration = 120.0  # the media's length
    assert share_now(first) == Decimal("1.00")
    first.credit_share = Decimal("0.50")  # the trainer's own share
    assert share_now(second) == Decimal("2.50")
    services.create_lesson(
        course.chapters[0],
        services.LessonData(title="加课", kind="video", media_asset_id=make_asset(trainer, duration=120).id),
        trainer,
    )  # a new lesson takes part of the rest
    assert share_now(second) == Decimal("1.25")
    assert len(computed) == 5
