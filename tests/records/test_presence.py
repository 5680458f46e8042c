"""Finding 2 of the trust review: the presence check (防挂机) needs a person.

The answer used to travel in the heartbeat's JSON, so a script echoed it. Now the digits exist only
as pixels of an image that only the member may fetch; these tests are the script that tries anyway.
"""

import json
import zlib

import pytest
import sqlalchemy as sa

from app.config import Config
from app.extensions import db
from app.records import presence, services
from app.records.models import PlaybackSession, PresenceChallenge
from tests.records.conftest import Player


@pytest.fixture
def soon(app, monkeypatch):
    """Ask after one minute of playing, as the settings allow."""
    monkeypatch.setitem(app.config, "PRESENCE_CHECK_MIN_MINUTES", 1)
    monkeypatch.setitem(app.config, "PRESENCE_CHECK_MAX_MINUTES", 1)
    return services.AccountingPolicy.from_config(app.config)


def test_finding2_presence_check_is_on_by_default():
    assert Config.PRESENCE_CHECK_ENABLED is True


def test_finding2_credit_stops_until_a_person_types_the_digits(create_user, make_facts, clock, soon):
    p = Player(create_user(), make_facts(duration=3600), soon, clock)
    p.answers_presence = False
    p.send("play")
    state = p.watch(75)  # the check falls due after one minute
    assert state.presence_check is not None
    asked = state
    held = p.watch(60)
    assert held.covered_seconds == pytest.approx(asked.covered_seconds)  # nothing while it is open
    assert (
        presence.answer(
            p.user.id,
            asked.presence_check.public_id,
            "0000" if _code(asked) != "0000" else "1111",
            soon.presence,
        ).passed
        is False
    )
    retry = p.send("tick")
    result = p.answer_presence(retry)  # the person reads the new image and types its digits
    assert result.passed
    resumed = p.watch(30)
    assert resumed.presence_check is None
    assert resumed.covered_seconds == pytest.approx(held.covered_seconds + 30)


def _code(state) -> str:
    return db.session.scalars(
        sa.select(PresenceChallenge.code).where(PresenceChallenge.public_id == state.presence_check.public_id)
    ).one()


def test_finding2_a_challenge_expires_as_a_miss_and_new_digits_follow(create_user, make_facts, clock, soon):
    p = Player(create_user(), make_facts(duration=3600), soon, clock)
    p.answers_presence = False
    p.send("play")
    first = p.watch(75).presence_check
    p.clock.advance(soon.presence.expire_seconds + 1)
    second = p.send("tick").presence_check
    assert second is not None
    assert second.public_id != first.public_id
    outcomes = dict(
        db.session.execute(sa.select(PresenceChallenge.public_id, PresenceChallenge.outcome)).all()
    )
    assert outcomes[first.public_id] == "expired"
    with pytest.raises(presence.PresenceError):  # the old one can no longer be answered
        presence.answer(p.user.id, first.public_id, "1234", soon.presence)


def test_finding2_guessing_stops_the_session_and_the_next_session_asks_at_once(
    create_user, make_facts, clock, soon
):
    member = create_user()
    facts = make_facts(duration=3600)
    p = Player(member, facts, soon, clock)
    p.answers_presence = False
    p.send("play")
    state = p.watch(75)
    for _ in range(soon.presence.max_misses):
        wrong = "9999" if _code(state) != "9999" else "8888"
        result = presence.answer(member.id, state.presence_check.public_id, wrong, soon.presence)
        assert not result.passed
        if result.next_challenge is not None:
            state = p.send("tick")
    assert result.next_challenge is None
    stopped = p.watch(120)
    assert stopped.presence_stopped
    assert stopped.covered_seconds == pytest.approx(state.covered_seconds)
    fresh = Player(member, facts, soon, clock, session_id="tab-reload-0002")
    assert fresh.send("play").presence_check is not None  # reloading the page dodges nothing


def test_finding2_no_json_payload_carries_the_digits(
    client, login, trainer, member, make_course, clock, soon
):
    course = make_course(trainer, lessons=(("video", 600.0),))
    login(member)
    client.post(f"/courses/{course.id}/enrol")
    lesson_id = course.chapters[0].lessons[0].id
    bodies, position, check = [], 0.0, None
    for seq in range(8):
        response = client.post(
            f"/api/v1/lessons/{lesson_id}/progress",
            json={
                "session_id": "tab-script-0001",
                "seq": seq,
                "position": position,
                "rate": 1,
                "visible": True,
                "event": "play" if seq == 0 else "tick",
            },
        )
        bodies.append(response.get_data(as_text=True))
        check = response.get_json()["data"].get("presence_check") or check
        clock.advance(15)
        position += 15
    assert check is not None, "a challenge is asked after a minute of playing"
    code = db.session.scalars(
        sa.select(PresenceChallenge.code).where(PresenceChallenge.public_id == check["id"])
    ).one()
    for body in bodies:
        assert code not in json.dumps(json.loads(body)["data"].get("presence_check") or {})
    # Everything the script received, echoed back, is not the answer.
    for guess in (check["id"], str(check["digits"]), check["expires_at"], check["id"][:4]):
        answer = client.post(check["answer_url"], json={"code": guess}).get_json()
        data = answer.get("data") or {}
        assert not data.get("passed")
        if data:
            check = data["presence_check"]
            if check is None:
                break
    assert not db.session.scalar(sa.select(sa.func.count()).where(PresenceChallenge.outcome == "passed"))


def test_finding2_the_image_is_a_png_only_its_member_may_fetch(
    client, login, create_user, make_facts, clock, soon
):
    member = create_user()
    p = Player(member, make_facts(duration=3600), soon, clock)
    p.answers_presence = False
    p.send("play")
    check = p.watch(75).presence_check
    db.session.commit()
    login(member)
    image = client.get(f"/api/v1/presence/{check.public_id}.png")
    assert image.status_code == 200
    assert image.mimetype == "image/png"
    assert image.data.startswith(b"\x89PNG")
    assert "no-store" in image.headers["Cache-Control"]
    client.post("/logout")
    login(create_user())
    assert client.get(f"/api/v1/presence/{check.public_id}.png").status_code == 404
    assert client.post(f"/api/v1/presence/{check.public_id}", json={"code": "1234"}).status_code == 404


def test_finding2_the_image_draws_the_digits_and_holds_no_text():
    png = presence.render_png("4071", seed=7)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"4071" not in png
    raw = zlib.decompress(png[png.index(b"IDAT") + 4 : png.index(b"IEND") - 8])
    width, height = presence.WIDTH, presence.HEIGHT
    assert len(raw) == height * (1 + 3 * width)
    dark = sum(1 for i in range(0, len(raw)) if i % (1 + 3 * width) and raw[i] < 130)
    assert dark > 200  # the digits are there as pixels
    assert presence.render_png("4071", seed=7) != presence.render_png("4071", seed=8)


def test_finding2_answers_and_misses_are_kept_and_shown_to_coordinators(
    client, login, create_user, make_facts, clock, soon, org_tree
):
    member = create_user(branch=org_tree["a1"])
    coordinator = create_user("coordinator", "member", branch=org_tree["a"])
    p = Player(member, make_facts(duration=3600), soon, clock)
    p.answers_presence = False
    p.send("play")
    state = p.watch(75)
    presence.answer(member.id, state.presence_check.public_id, "x", soon.presence)  # a miss
    p.answer_presence(p.send("tick"))  # then the right digits
    db.session.commit()
    summary = presence.summary_for(member.id)
    assert [(s.passed, s.wrong, s.expired) for s in summary] == [(1, 1, 0)]
    login(coordinator)
    page = client.get(f"/records/members/{member.id}").get_data(as_text=True)
    assert 'data-testid="presence-summary"' in page
    assert "两学一做专题党课" in page
    client.post("/logout")
    login(member)
    assert client.get(f"/records/members/{member.id}").status_code == 403


def test_finding2_concurrent_right_answers_pass_once(app, create_user, make_facts, clock, soon):
    p = Player(create_user(), make_facts(duration=3600), soon, clock)
    p.answers_presence = False
    p.send("play")
    state = p.watch(75)
    assert presence.answer(p.user.id, state.presence_check.public_id, _code(state), soon.presence).passed
    with pytest.raises(presence.PresenceError):
        presence.answer(p.user.id, state.presence_check.public_id, _code(state), soon.presence)
    assert db.session.scalar(sa.select(PlaybackSession.presence_misses)) == 0


def test_finding2_a_fresh_session_every_few_minutes_does_not_escape_the_check(
    create_user, make_facts, clock, soon
):
    """The reviewer's script: a new playback session before each check falls due."""
    member = create_user()
    facts = make_facts(duration=7200)
    position, asked = 0.0, None
    for n in range(6):
        p = Player(member, facts, soon, clock, session_id=f"tab-dodge-{n:04d}")
        p.answers_presence = False
        p.position = position
        p.send("play")
        state = p.watch(45)  # each session stops short of the one minute the check waits for
        position = p.position
        asked = asked or state.presence_check
        if asked:
            break
    assert asked is not None, "the check fell due across sessions"
    assert n <= 1


def test_finding2_an_ignored_question_is_asked_again_in_the_next_session(
    create_user, make_facts, clock, soon
):
    member = create_user()
    facts = make_facts(duration=7200)
    p = Player(member, facts, soon, clock)
    p.answers_presence = False
    p.send("play")
    first = p.watch(75).presence_check
    assert first is not None
    p.clock.advance(2 * 3600)  # wait it out, then start again
    again = Player(member, facts, soon, clock, session_id="tab-later-0002")
    assert again.send("play").presence_check is not None
    outcomes = dict(
        db.session.execute(sa.select(PresenceChallenge.public_id, PresenceChallenge.outcome)).all()
    )
    assert outcomes[first.public_id] == "expired"
