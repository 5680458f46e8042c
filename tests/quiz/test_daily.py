"""The daily quiz through the API: answers stay on the server until earned, time is the server's,
replays change nothing, caps hold, once a day."""

import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.quiz.models import AttemptItem, PointsEntry
from tests.helpers import config_set
from tests.quiz.conftest import correct_display_answer, explanation_of, question_of, wrong_display_answer

FORBIDDEN_KEYS = {"answer", "correct_answer", "explanation", "is_correct", "correct", "response"}


def keys_in(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(keys_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_in(v) for v in value)) if value else set()
    return set()


def assert_secret_free(payload_text: str, unanswered: list) -> None:
    """No marker of an unanswered question: its 解析, its fill-in answers."""
    for q in unanswered:
        assert explanation_of(q) not in payload_text
        if q.kind.value == "fill":
            for accepted in q.answer:
                assert accepted not in payload_text


def option_order_of(attempt_id, question_id):
    return db.session.scalar(
        sa.select(AttemptItem.option_order).where(
            AttemptItem.attempt_id == attempt_id, AttemptItem.question_id == question_id
        )
    )


@pytest.fixture
def member(clock, login_as):  # signed in on the moved clock: a cookie from its future is refused
    return login_as("member")


def test_answers_never_reach_the_member_before_each_question_is_answered(
    client, member, questions, api_json, clock
):
    page = client.get("/quiz/daily").get_data(as_text=True)
    status, body = api_json("POST", "/api/v1/daily-quiz")
    assert status == 200
    assert body["success"] is True
    data = body["data"]
    shown = data["questions"]
    assert len(shown) == 5
    # Nothing but what the member needs to answer: id, kind, stem, options (key + text).
    for q in shown:
        assert set(q) == {"id", "kind", "stem", "options"}
        assert all(set(o) == {"key", "text"} for o in q["options"])
    assert keys_in(data["questions"]) & FORBIDDEN_KEYS == set()
    assert data["results"] == []
    unanswered = [question_of(q["id"]) for q in shown]
    payloads = [page, json.dumps(body, ensure_ascii=False)]
    for text in payloads:
        assert_secret_free(text, unanswered)

    for position, q in enumerate(shown):
        question = unanswered[0]
        assert question.id == q["id"]
        answer = correct_display_answer(question, option_order_of(data["attempt_id"], q["id"]))
        status, result = api_json(
            "POST",
            f"/api/v1/daily-quiz/{data['attempt_id']}/answers",
            {"question_id": q["id"], "answer": answer},
        )
        assert status == 200, result
        text = json.dumps(result, ensure_ascii=False)
        unanswered = unanswered[1:]
        # This answer reveals its own question's 解析 and answer, and no other question's.
        assert explanation_of(question) == result["data"]["explanation"]
        assert result["data"]["correct"] is True
        assert_secret_free(text, unanswered)
        # Resuming mid-way shows results of answered questions only.
        _, resumed = api_json("POST", "/api/v1/daily-quiz")
        assert_secret_free(json.dumps(resumed, ensure_ascii=False), unanswered)
        assert len(resumed["data"]["results"]) == position + 1
    assert result["data"]["finished"] is True


def test_answer_shapes_and_wrong_answers(client, member, questions, api_json, clock):
    _, body = api_json("POST", "/api/v1/daily-quiz")
    attempt_id = body["data"]["attempt_id"]
    for q in body["data"]["questions"]:
        question = question_of(q["id"])
        wrong = wrong_display_answer(question, option_order_of(attempt_id, q["id"]))
        status, result = api_json(
            "POST", f"/api/v1/daily-quiz/{attempt_id}/answers", {"question_id": q["id"], "answer": wrong}
        )
        assert status == 200
        assert result["data"]["correct"] is False
        assert result["data"]["points_awarded"] == 0
        assert (
            result["data"]["correct_answer"]
            == correct_display_answer(question, option_order_of(attempt_id, q["id"]))
            or question.kind.value == "fill"
        )
    _, points = api_json("GET", "/api/v1/points")
    assert points["data"]["total"] == 0 + 1  # and the day's sign-in point


def test_unreadable_answers_get_a_message_and_change_nothing(client, member, questions, api_json, clock):
    _, body = api_json("POST", "/api/v1/daily-quiz")
    attempt_id = body["data"]["attempt_id"]
    choice = next(q for q in body["data"]["questions"] if q["kind"] in ("single", "multiple"))
    status, result = api_json(
        "POST", f"/api/v1/daily-quiz/{attempt_id}/answers", {"question_id": choice["id"], "answer": "Z"}
    )
    assert status == 422
    assert "请从选项" in result["errors"][0]["message"]
    status, result = api_json("POST", f"/api/v1/daily-quiz/{attempt_id}/answers", {"answer": "A"})
    assert status == 400
    status, result = api_json(
        "POST", f"/api/v1/daily-quiz/{attempt_id}/answers", {"question_id": 999999, "answer": "A"}
    )
    assert status == 404
    _, resumed = api_json("POST", "/api/v1/daily-quiz")
    assert resumed["data"]["answered"] == 0


def test_a_question_id_that_is_no_whole_number_is_refused(client, member, questions, api_json, clock):
    """int() took Infinity (OverflowError) and 10**30 (a query SQLite cannot run) to a 500, and
    turned 1.5 or true into question 1, answering a question the member never named."""
    _, body = api_json("POST", "/api/v1/daily-quiz")
    attempt_id, first = body["data"]["attempt_id"], body["data"]["questions"][0]
    url = f"/api/v1/daily-quiz/{attempt_id}/answers"
    for question_id in (float("inf"), 10**30, first["id"] + 0.5, True, "²", [first["id"]]):
        status, result = api_json("POST", url, {"question_id": question_id, "answer": "A"})
        assert status == 422, question_id
        assert result["errors"][0]["message"] == "缺少题目编号（question_id）。"
    right = correct_display_answer(question_of(first["id"]), option_order_of(attempt_id, first["id"]))
    status, _result = api_json("POST", url, {"question_id": str(first["id"]), "answer": right})
    assert status == 200  # digits in a string are a whole number too
    _, resumed = api_json("POST", "/api/v1/daily-quiz")
    assert resumed["data"]["answered"] == 1


def test_a_replayed_answer_changes_nothing(client, member, questions, api_json, clock):
    _, body = api_json("POST", "/api/v1/daily-quiz")
    attempt_id, q = body["data"]["attempt_id"], body["data"]["questions"][0]
    question = question_of(q["id"])
    right = correct_display_answer(question, option_order_of(attempt_id, q["id"]))
    url = f"/api/v1/daily-quiz/{attempt_id}/answers"
    _, first = api_json("POST", url, {"question_id": q["id"], "answer": right})
    assert first["data"]["points_awarded"] == 1
    # The same request again, and a changed answer: both get the first result back.
    _, again = api_json("POST", url, {"question_id": q["id"], "answer": right})
    _, changed = api_json(
        "POST",
        url,
        {
            "question_id": q["id"],
            "answer": wrong_display_answer(question, option_order_of(attempt_id, q["id"])),
        },
    )
    assert again["data"]["replayed"] is True
    assert changed["data"]["correct"] is True
    _, points = api_json("GET", "/api/v1/points")
    assert points["data"]["total"] == 1 + 1  # and the day's sign-in point
    assert points["data"]["today"]["daily_quiz"] == {"points": 1, "cap": 5, "label": "每日答题"}
    assert (
        db.session.scalar(sa.select(sa.func.count(PointsEntry.id)).where(PointsEntry.action != "login")) == 1
    )
    _, state = api_json("POST", "/api/v1/daily-quiz")
    assert state["data"]["answered"] == 1


def test_an_answer_after_the_server_deadline_is_refused_with_a_message(
    client, member, questions, api_json, clock, app
):
    _, body = api_json("POST", "/api/v1/daily-quiz")
    attempt_id, q = body["data"]["attempt_id"], body["data"]["questions"][0]
    right = correct_display_answer(question_of(q["id"]), option_order_of(attempt_id, q["id"]))
    clock.advance(app.config["QUIZ_DAILY_SECONDS"] + app.config["QUIZ_SUBMIT_GRACE_SECONDS"] + 1)
    status, result = api_json(
        "POST", f"/api/v1/daily-quiz/{attempt_id}/answers", {"question_id": q["id"], "answer": right}
    )
    assert status == 409
    assert result["errors"][0]["message"] == "已超过答题时限，本次作答未被记录。"
    _, state = api_json("POST", "/api/v1/daily-quiz")
    assert state["data"]["finished"] is True
    assert state["data"]["end_reason"] == "timeout"
    assert state["data"]["answered"] == 0
    _, points = api_json("GET", "/api/v1/points")
    assert points["data"]["total"] == 0 + 1  # and the day's sign-in point


def test_within_the_grace_an_answer_still_counts(client, member, questions, api_json, clock, app):
    _, body = api_json("POST", "/api/v1/daily-quiz")
    attempt_id, q = body["data"]["attempt_id"], body["data"]["questions"][0]
    right = correct_display_answer(question_of(q["id"]), option_order_of(attempt_id, q["id"]))
    clock.advance(app.config["QUIZ_DAILY_SECONDS"] + 1)
    status, result = api_json(
        "POST", f"/api/v1/daily-quiz/{attempt_id}/answers", {"question_id": q["id"], "answer": right}
    )
    assert status == 200
    assert result["data"]["correct"] is True


def test_once_a_day_and_a_new_draw_tomorrow(client, member, questions, api_json, clock, login):
    _, first = api_json("POST", "/api/v1/daily-quiz")
    _, again = api_json("POST", "/api/v1/daily-quiz")
    assert again["data"]["attempt_id"] == first["data"]["attempt_id"]
    assert [q["id"] for q in again["data"]["questions"]] == [q["id"] for q in first["data"]["questions"]]
    clock.advance(24 * 3600)
    login(member)  # a day later the idle browser session has ended
    _, tomorrow = api_json("POST", "/api/v1/daily-quiz")
    assert tomorrow["data"]["attempt_id"] != first["data"]["attempt_id"]
    # Twelve questions in the bank: tomorrow's five avoid yesterday's five.
    assert not {q["id"] for q in tomorrow["data"]["questions"]} & {
        q["id"] for q in first["data"]["questions"]
    }


def test_daily_cap_holds(client, member, questions, api_json, clock, app):
    with config_set(
        app, QUIZ_DAILY_SIZE=5, POINTS_DAILY_CAPS={**app.config["POINTS_DAILY_CAPS"], "daily_quiz": 3}
    ):
        _, body = api_json("POST", "/api/v1/daily-quiz")
        attempt_id = body["data"]["attempt_id"]
        awarded = []
        for q in body["data"]["questions"]:
            right = correct_display_answer(question_of(q["id"]), option_order_of(attempt_id, q["id"]))
            _, result = api_json(
                "POST", f"/api/v1/daily-quiz/{attempt_id}/answers", {"question_id": q["id"], "answer": right}
            )
            awarded.append(result["data"]["points_awarded"])
        _, points = api_json("GET", "/api/v1/points")
    assert awarded == [1, 1, 1, 0, 0]
    assert points["data"]["total"] == 3 + 1  # and the day's sign-in point
    assert points["data"]["today"]["daily_quiz"]["points"] == 3
    assert [e["points"] for e in points["data"]["recent"] if e["action"] == "daily_quiz"] == [0, 0, 1, 1, 1]


def test_an_empty_bank_says_so(client, member, api_json, clock):
    status, body = api_json("POST", "/api/v1/daily-quiz")
    assert status == 409
    assert "题库里还没有可用的题目" in body["errors"][0]["message"]


def test_someone_elses_attempt_is_not_found(client, member, questions, api_json, clock, create_user, login):
    _, body = api_json("POST", "/api/v1/daily-quiz")
    client.post("/logout")
    login(create_user("member"))
    q = body["data"]["questions"][0]
    status, _ = api_json(
        "POST",
        f"/api/v1/daily-quiz/{body['data']['attempt_id']}/answers",
        {"question_id": q["id"], "answer": "A"},
    )
    assert status == 404


def test_the_api_needs_a_login(client, api_json):
    status, body = api_json("POST", "/api/v1/daily-quiz")
    assert status == 401
    assert body["success"] is False


def test_the_pages_render_for_a_member(client, member, questions, clock):
    for url in (
        "/quiz/",
        "/quiz/daily",
        "/quiz/challenge",
        "/quiz/duel",
        "/quiz/points",
        "/quiz/leaderboard",
        "/quiz/contests",
        "/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    assert "每日答题" in client.get("/").get_data(as_text=True)
