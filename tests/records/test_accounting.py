"""One test per accounting rule, with the server clock moved by hand."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.core.signals import quiz_passed
from app.extensions import db
from app.records import services
from app.records.models import HoursEntry


def hours_of(user) -> Decimal:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(HoursEntry.hours), 0)).where(HoursEntry.user_id == user.id)
    )


def test_normal_viewing_to_95_percent_completes_and_credits_once(create_user, make_facts, player):
    member = create_user()
    p = player(member, make_facts(duration=120))
    p.send("play")
    state = p.watch(114)  # 95% of 120 s
    assert state.completed
    assert state.credited_hours == 0.5
    p.watch(6)
    p.send("ended")
    assert hours_of(member) == Decimal("0.50")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HoursEntry)) == 1


def test_stopping_short_of_the_threshold_does_not_complete(create_user, make_facts, player):
    p = player(create_user(), make_facts(duration=120))
    p.send("play")
    state = p.watch(105)
    assert not state.completed
    assert state.covered_ratio == pytest.approx(105 / 120)


def test_seeking_to_the_end_does_not_complete(create_user, make_facts, player):
    member = create_user()
    p = player(member, make_facts(duration=600))
    p.send("play")
    p.watch(30)
    p.clock.advance(1)
    p.send("seek", position=590)
    state = p.watch(10)
    state = p.send("ended")
    assert not state.completed
    assert state.covered_seconds == pytest.approx(40, abs=0.01)
    assert hours_of(member) == 0


def test_sixteen_times_speed_credits_only_up_to_the_rate_cap(create_user, make_facts, player, policy):
    p = player(create_user(), make_facts(duration=3600))
    p.send("play", rate=16)
    state = p.watch(60, rate=16)  # claims 960 s of media in 60 s
    cap_per_beat = 15 * policy.max_rate + policy.tolerance
    assert state.covered_seconds <= 4 * cap_per_beat + 0.01
    # Finding 1 of the trust review: one tolerance per session, not one per heartbeat (was 4 × 33 s).
    assert state.covered_seconds == pytest.approx(60 * policy.max_rate + policy.tolerance)


def test_double_speed_counts_in_full(create_user, make_facts, player):
    p = player(create_user(), make_facts(duration=600))
    p.send("play", rate=2)
    state = p.watch(60, rate=2)
    assert state.covered_seconds == pytest.approx(120)


def test_replayed_old_seq_changes_nothing(create_user, make_facts, player):
    p = player(create_user(), make_facts(duration=600))
    p.send("play")
    before = p.watch(30)
    p.clock.advance(15)
    # The same heartbeat again, then an older one claiming a big jump: both ignored.
    again = p.send("tick", position=p.position + 15, seq=p.seq - 1)
    older = p.send("tick", position=500, seq=0)
    assert again.covered_seconds == before.covered_seconds
    assert older.covered_seconds == before.covered_seconds


def test_two_tabs_only_the_newest_credits(create_user, make_facts, player):
    member = create_user()
    facts = make_facts(duration=600)
    first = player(member, facts, session_id="tab-first-0001")
    first.send("play")
    first.watch(30)
    second = player(member, facts, session_id="tab-second-002")
    second.position = 300
    assert second.send("play").active
    second.watch(30)
    stale = first.watch(15)
    assert stale.active is False
    assert stale.covered_seconds == pytest.approx(60)  # 30 s from each live stretch, none from the stale tab


def test_hidden_time_credits_nothing(create_user, make_facts, player):
    p = player(create_user(), make_facts(duration=600))
    p.send("play")
    p.watch(30)
    p.clock.advance(5)
    p.position += 5
    p.send("hidden", visible=False)
    state = p.watch(120, visible=False)  # still "playing" in a background tab
    assert state.covered_seconds == pytest.approx(35)


def test_silence_then_jump_credits_at_most_one_interval(create_user, make_facts, player, policy):
    p = player(create_user(), make_facts(duration=3 * 3600))
    p.send("play")
    p.clock.advance(2 * 3600)
    state = p.send("tick", position=2 * 3600)
    assert state.covered_seconds <= (policy.interval + policy.tolerance) + policy.tolerance
    assert state.covered_seconds > 0


def test_watching_again_credits_no_new_hours(create_user, make_facts, player):
    member = create_user()
    facts = make_facts(duration=60)
    p = player(member, facts)
    p.send("play")
    assert p.watch(60).completed
    again = player(member, facts, session_id="tab-again-0002")
    again.send("play")
    again.watch(60)
    assert hours_of(member) == Decimal("0.50")


def test_gating_quiz_holds_completion_until_passed(create_user, make_facts, player):
    member = create_user()
    p = player(member, make_facts(duration=60, quiz=9001))
    p.send("play")
    assert not p.watch(60).completed
    assert hours_of(member) == 0
    quiz_passed.send("quiz", user_id=member.id, quiz_id=9001, attempt_id=1, score=90)
    assert hours_of(member) == Decimal("0.50")
    quiz_passed.send("quiz", user_id=member.id, quiz_id=9001, attempt_id=2, score=95)  # repeated: once
    assert hours_of(member) == Decimal("0.50")


def test_article_completes_by_time_on_page_and_reaching_the_end(create_user, make_facts, player):
    member = create_user()
    p = player(member, make_facts(duration=120, kind="article"))
    p.send("play")
    assert not p.watch(120).completed  # read long enough, but never reached the end
    p.clock.advance(1)
    assert p.send("ended").completed


def test_article_scrolled_to_the_end_at_once_does_not_complete(create_user, make_facts, player):
    p = player(create_user(), make_facts(duration=300, kind="article"))
    p.send("play")
    p.clock.advance(5)
    p.position = 5
    assert not p.send("ended").completed


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("position", -1),
        ("position", float("nan")),
        ("position", "12"),
        ("seq", 1.5),
        ("seq", True),
        ("rate", 0),
        ("visible", "yes"),
        ("event", "teleport"),
        ("session_id", "x"),
    ],
)
def test_bad_heartbeat_fields_are_refused_with_the_field_named(field, value):
    payload = {
        "session_id": "tab-aaaa-0001",
        "seq": 1,
        "position": 3.0,
        "rate": 1.0,
        "visible": True,
        "event": "tick",
    }
    payload[field] = value
    with pytest.raises(services.RecordsError) as error:
        services.parse_heartbeat(payload)
    assert error.value.field == field
    assert error.value.status == 422


def test_position_past_the_end_is_refused(create_user, make_facts, player):
    p = player(create_user(), make_facts(duration=60))
    with pytest.raises(services.RecordsError, match="超出"):
        p.send("tick", position=400)


def test_merge_interval_keeps_a_compact_union():
    intervals = []
    for start, end in [(10, 20), (30, 40), (15, 35), (50, 60), (0, 5), (5, 10)]:
        intervals = services.merge_interval(intervals, start, end)
    assert intervals == [[0, 40], [50, 60]]
