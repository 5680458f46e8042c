"""Finding 1 of the trust review: credit is a budget of the server's wall clock.

Each test is what a script farming hours would try: heartbeats with no waiting, heartbeats paced
faster than the media could play, a fresh session for every few requests. The honest player, a
heartbeat every 15 s, must not notice.
"""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.records.models import HoursEntry
from tests.courses.test_learning import watch


def hours_of(user) -> Decimal:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(HoursEntry.hours), 0)).where(HoursEntry.user_id == user.id)
    )


def test_finding1_rapid_fire_ticks_with_no_wall_time_credit_almost_nothing(
    create_user, make_facts, player, policy
):
    p = player(create_user(), make_facts(duration=300))
    p.send("play")
    state = None
    for _ in range(76):  # the review's script: +2.9 s a tick, 0.7 s for all of them
        p.clock.advance(0.7 / 76)
        state = p.send("tick", position=p.position + 2.9)
    budget = 0.7 * policy.max_rate
    assert (
        state.covered_seconds <= 2 * budget + 0.01
    )  # what the wall clock allows, plus at most as much slack
    assert not state.completed


def test_finding1_one_heartbeat_a_second_claiming_4s_gets_at_most_2s_per_second(
    create_user, make_facts, player, policy
):
    p = player(create_user(), make_facts(duration=3600))
    p.send("play", rate=2)
    state = None
    for _ in range(300):
        p.clock.advance(1)
        state = p.send("tick", position=p.position + 4, rate=2)
    assert policy.max_rate == 2.0
    assert state.covered_seconds <= 300 * 2 + policy.tolerance + 0.01
    assert state.covered_seconds == pytest.approx(600, abs=policy.tolerance)


def test_finding1_claiming_a_fast_rate_does_not_raise_the_budget_above_the_cap(
    create_user, make_facts, player, policy
):
    p = player(create_user(), make_facts(duration=3600))
    p.send("play", rate=16)
    state = p.watch(600, rate=16)  # claims 9,600 s of media in ten minutes
    assert state.covered_seconds <= 600 * policy.max_rate + policy.tolerance + 0.01


def test_finding1_a_fresh_session_every_two_requests_credits_nothing(create_user, make_facts, player):
    member = create_user()
    facts = make_facts(duration=600, hours="0.50", threshold=0.25)
    position = 0.0
    state = None
    for n in range(60):  # 60 sessions, each: "play", then a tick claiming 3 s, no waiting
        p = player(member, facts, session_id=f"tab-farm-{n:04d}")
        p.position = position
        p.send("play")
        p.clock.advance(0.01)
        state = p.send("tick", position=position + 3)
        position += 3
    assert state.covered_seconds < 2
    assert hours_of(member) == 0


def test_finding1_honest_player_is_unaffected(create_user, make_facts, player):
    member = create_user()
    p = player(member, make_facts(duration=45 * 60))
    p.send("play")
    state = p.watch(45 * 60)
    assert state.covered_seconds == pytest.approx(45 * 60)
    assert state.completed
    assert hours_of(member) == Decimal("0.50")


def test_finding1_honest_player_with_late_and_early_heartbeats_is_unaffected(create_user, make_facts, player):
    """Network jitter: the server sees heartbeats 13 s and 17 s apart while 15 s of media played."""
    p = player(create_user(), make_facts(duration=600))
    p.send("play")
    state = None
    for n in range(40):
        p.clock.advance(13 if n % 2 else 17)
        state = p.send("tick", position=p.position + 15)
    assert state.covered_seconds == pytest.approx(600)


def test_finding1_article_read_by_rapid_fire_never_completes(create_user, make_facts, player):
    member = create_user()
    p = player(member, make_facts(duration=300, kind="article"))
    p.send("play")
    for _ in range(100):
        p.clock.advance(0.01)
        p.send("tick", position=p.position + 3)
    state = p.send("ended")
    assert not state.completed
    assert state.covered_seconds < 5
    assert hours_of(member) == 0


def test_finding1_article_reading_cannot_go_faster_than_the_clock(create_user, make_facts, player):
    p = player(create_user(), make_facts(duration=300, kind="article"))
    p.send("play")
    state = p.watch(120, rate=2)  # a script claiming to read at double speed
    assert state.covered_seconds <= 120 + 3.01


def test_finding1_farming_a_course_over_http_credits_no_hours(client, login, trainer, member, make_course):
    """The review's reproduction through the API: 76 ticks sent with no waiting on a three-lesson course."""
    course = make_course(trainer, lessons=(("video", 60.0), ("video", 60.0), ("video", 60.0)))
    login(member)
    client.post(f"/courses/{course.id}/enrol")
    lessons = [lesson.id for chapter in course.chapters for lesson in chapter.lessons]
    for lesson_id in lessons:
        position = 0.0
        for seq in range(26):
            client.post(
                f"/api/v1/lessons/{lesson_id}/progress",
                json={
                    "session_id": f"farm-{lesson_id}-0001",
                    "seq": seq,
                    "position": position,
                    "rate": 2,
                    "visible": True,
                    "event": "play" if seq == 0 else "tick",
                },
            )
            position = min(60.0, position + 2.9)
    assert hours_of(member) == 0


def test_finding1_honest_viewing_over_http_still_completes(
    client, login, trainer, member, make_course, clock
):
    course = make_course(trainer, lessons=(("video", 60.0),))
    login(member)
    client.post(f"/courses/{course.id}/enrol")
    lesson_id = course.chapters[0].lessons[0].id
    state = watch(client, clock, lesson_id, 60).get_json()["data"]
    assert state["completed"] is True
    assert hours_of(member) > 0
