"""Duels and four-player rooms: matched or invited, the same questions round by round, the
server decides rounds, quitters, dropped connections and the winner."""

import json

import pytest

from app.extensions import db
from app.quiz import duels
from app.quiz.models import AttemptItem, Duel, DuelStatus
from app.quiz.points import points_total
from app.quiz.tasks import sweep
from tests.quiz.conftest import correct_display_answer, wrong_display_answer


@pytest.fixture
def pair(create_user, questions, org_tree):
    return create_user("member", name="甲", branch=org_tree["a1"]), create_user(
        "member", name="乙", branch=org_tree["b1"]
    )


def current_item(duel, user) -> AttemptItem:
    player = duels.player_of(duel, user)
    return next(i for i in player.attempt.items if i.position == duel.current_round)


def play_round(duel, user, right=True):
    item = current_item(duel, user)
    value = (
        correct_display_answer(item.question, item.option_order)
        if right
        else wrong_display_answer(item.question, item.option_order)
    )
    return duels.answer_duel(duel.id, user, item.question_id, value)


def test_matched_players_get_the_same_questions_and_the_same_winner(pair, clock, app):
    a, b = pair
    room = duels.find_match(a)
    assert room.status == DuelStatus.WAITING
    assert duels.find_match(b).id == room.id
    db.session.commit()
    assert room.status == DuelStatus.ACTIVE
    rounds = len(room.question_ids)
    for n in range(rounds):
        first, second = duels.state(room, a), duels.state(room, b)
        assert first["question"] == second["question"]  # same question, same option order
        assert first["round"] == n + 1
        assert first["seconds_left"] == app.config["QUIZ_DUEL_ROUND_SECONDS"]
        assert set(first["question"]) == {"id", "kind", "stem", "options"}
        clock.advance(2)
        play_round(room, a, right=True)
        # b sees that a answered, not whether a was right.
        assert [p["answered"] for p in duels.state(room, b)["players"]] == [True, False]
        assert "correct" not in json.dumps(duels.state(room, b)["players"])
        clock.advance(3)
        play_round(room, b, right=n % 2 == 0)
        db.session.commit()
    assert room.status == DuelStatus.FINISHED
    assert duels.state(room, a)["winner"] == {"user_id": a.id, "name": "甲", "is_me": True}
    assert duels.state(room, b)["winner"] == {"user_id": a.id, "name": "甲", "is_me": False}
    assert [p["score"] for p in duels.state(room, b)["players"]] == [rounds, (rounds + 1) // 2]
    assert (points_total(a.id), points_total(b.id)) == (duels.WIN_POINTS, duels.PLAY_POINTS)


def test_a_tie_on_score_goes_to_the_faster_player_and_an_exact_tie_is_a_draw(pair, clock):
    a, b = pair
    room = duels.find_match(a)
    duels.find_match(b)
    for _ in room.question_ids:
        clock.advance(1)
        play_round(room, b)
        play_round(room, a)  # same server time: an exact tie
    assert room.status == DuelStatus.FINISHED
    assert room.winner_id is None
    assert duels.state(room, a)["draw"] is True
    assert points_total(a.id) == points_total(b.id) == duels.PLAY_POINTS


def test_a_round_times_out_on_the_server(pair, clock, app):
    a, b = pair
    room = duels.find_match(a)
    duels.find_match(b)
    play_round(room, a)
    clock.advance(app.config["QUIZ_DUEL_ROUND_SECONDS"] + app.config["QUIZ_SUBMIT_GRACE_SECONDS"] + 1)
    late = current_item(room, b)
    with pytest.raises(duels.LateAnswer, match="本轮已经结束"):
        duels.answer_duel(
            room.id, b, late.question_id, correct_display_answer(late.question, late.option_order)
        )
    assert room.current_round == 1
    db.session.refresh(late)
    assert late.is_correct is False


def test_a_quitter_loses_and_the_other_wins_at_once(pair, clock):
    a, b = pair
    room = duels.find_match(a)
    duels.find_match(b)
    play_round(room, a)
    duels.leave_duel(room.id, b)
    assert room.status == DuelStatus.FINISHED
    assert room.winner_id == a.id
    assert duels.state(room, b)["players"][1]["left"] is True
    assert points_total(b.id) == 0
    assert points_total(a.id) == duels.WIN_POINTS


def test_a_dropped_connection_is_decided_on_the_next_poll(pair, clock, app):
    a, b = pair
    room = duels.find_match(a)
    duels.find_match(b)
    # a keeps polling; b's browser has gone quiet since joining.
    drop = app.config["QUIZ_DUEL_DROP_SECONDS"]
    clock.advance(drop - 5)
    duels.poll(room.id, a)
    assert room.status == DuelStatus.ACTIVE
    clock.advance(10)
    duels.poll(room.id, a)
    assert room.status == DuelStatus.FINISHED
    assert room.winner_id == a.id
    assert duels.state(room, a)["players"][1]["left"] is True


def test_when_everyone_vanishes_the_periodic_sweep_ends_the_room(pair, clock):
    a, b = pair
    room = duels.find_match(a)
    duels.find_match(b)
    db.session.commit()
    clock.advance(600)
    assert sweep.run() == {"duels_ended": 1, "attempts_finished": 0}
    db.session.refresh(room)
    assert room.status == DuelStatus.FINISHED
    assert room.winner_id is None


def test_an_unmatched_room_closes_after_the_wait(pair, clock, app):
    a, _ = pair
    room = duels.find_match(a)
    clock.advance(app.config["QUIZ_DUEL_WAIT_SECONDS"] + 1)
    duels.poll(room.id, a)
    assert room.status == DuelStatus.CANCELLED


def test_two_rooms_opened_at_once_merge_on_the_next_poll(pair, clock):
    a, b = pair
    first = duels.create_duel(a)
    second = duels.create_duel(b)  # both asked at the same moment and each opened a room
    moved = duels.poll(second.id, b)
    assert moved.id == first.id
    assert moved.status == DuelStatus.ACTIVE
    assert db.session.get(Duel, second.id).status == DuelStatus.CANCELLED


def test_an_invitation_is_joined_by_its_code_only(pair, create_user, clock):
    a, b = pair
    room = duels.create_duel(a, is_open=False, invitee=b)
    stranger = create_user("member")
    assert duels.find_match(stranger).id != room.id  # not matched into an invitation
    assert duels.join_by_code(room.invite_code, b).id == room.id
    assert room.status == DuelStatus.ACTIVE
    with pytest.raises(duels.PlayError, match="房间已满"):
        duels.join_by_code(room.invite_code, create_user("member"))


def test_a_four_player_room_starts_when_full(create_user, questions, clock):
    players = [create_user("member", name=f"成员{i}") for i in range(4)]
    rooms = {duels.find_match(p, capacity=4).id for p in players}
    assert len(rooms) == 1
    room = db.session.get(Duel, rooms.pop())
    assert room.status == DuelStatus.ACTIVE
    assert len(room.players) == 4
    for _ in room.question_ids:
        for i, p in enumerate(players):
            clock.advance(1)
            play_round(room, p, right=i != 2)
    assert room.status == DuelStatus.FINISHED
    # Three players all right: the quickest wins; the one who was wrong comes last.
    assert room.winner_id == players[0].id
    assert [p.rank for p in room.players] == [1, 2, 4, 3]


def test_the_api_round_trip_for_two_browsers(app, pair, clock):
    from tests.conftest import PASSWORD, FreshContextClient

    app.test_client_class = FreshContextClient
    clients = []
    for user in pair:
        c = app.test_client()
        assert (
            c.post("/login", data={"identifier": user.employee_no, "password": PASSWORD}).status_code == 302
        )
        clients.append(c)
    first = clients[0].post("/api/v1/duels/match", json={"capacity": 2}).get_json()["data"]
    assert first["status"] == "waiting"
    second = clients[1].post("/api/v1/duels/match", json={}).get_json()["data"]
    duel_id = second["duel_id"]
    assert duel_id == first["duel_id"]
    assert second["status"] == "active"
    while True:
        states = [c.get(f"/api/v1/duels/{duel_id}").get_json()["data"] for c in clients]
        if states[0]["status"] == "finished":
            break
        for c, s in zip(clients, states):
            if s["status"] == "active" and s["my_answer"] is None:
                assert s["question"] is not None, (s, states)
                room = db.session.get(Duel, duel_id)
                db.session.refresh(room)
                user = pair[clients.index(c)]
                item = current_item(room, user)
                answer = correct_display_answer(item.question, item.option_order)
                body = c.post(
                    f"/api/v1/duels/{duel_id}/answers",
                    json={"question_id": s["question"]["id"], "answer": answer},
                ).get_json()
                assert body["success"] is True
                assert body["data"]["correct"] is True
            clock.advance(1)  # the first browser is always a second quicker
    assert states[0]["winner"]["user_id"] == states[1]["winner"]["user_id"] == pair[0].id
    assert states[0]["winner"]["is_me"] is True
    assert states[1]["winner"]["is_me"] is False
    outsider_status = clients[0].get("/api/v1/duels/999999").status_code
    assert outsider_status == 404


def test_unreadable_room_requests_get_a_message_not_a_server_error(client, login_as, questions):
    """A body that is not a JSON object, or a capacity like "²" (a digit to str.isdigit, not to int)
    or 10**30, answered 500 from the match and invite endpoints."""
    login_as("member")
    for url in ("/api/v1/duels/match", "/api/v1/duels"):
        for body in ("x", 1, [2]):
            response = client.post(url, json=body)
            assert response.status_code == 400, (url, body)
            assert response.get_json()["errors"][0]["message"] == "请求体须为 JSON 对象。"
        for capacity in ("²", 10**30, "4x", 3):
            response = client.post(url, json={"capacity": capacity})
            assert response.status_code == 422, (url, capacity)
            assert response.get_json()["errors"][0]["message"] == "房间人数只能是 2 或 4 人。"
    assert db.session.query(Duel).count() == 0
    assert client.post("/api/v1/duels/match", json={"capacity": "4"}).status_code == 200
