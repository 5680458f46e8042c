"""Exam integrity: the exam page's reports are tied to the member's own open paper, stamped with the
server's time, counted as switches by the server, and hand the paper in at the exam's limit."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.quiz import integrity, quizzes
from app.quiz.models import ExamEvent
from tests.quiz.conftest import correct_display_answer
from tests.quiz.test_quizzes import start


@pytest.fixture
def trainer(create_user):
    return create_user("trainer", name="李讲师")


def make_exam(trainer, questions, switch_limit=3, purpose="exam"):
    exam = quizzes.create_quiz(
        quizzes.QuizData(
            title="党章知识考试",
            purpose=purpose,
            question_ids=[q.id for q in questions[:4]],
            time_limit_seconds=1800,
            pass_mark=50,
            is_published=True,
            switch_limit=switch_limit,
        ),
        trainer,
    )
    db.session.commit()
    return exam


@pytest.fixture
def exam(trainer, questions):
    return make_exam(trainer, questions)


def report(api_json, attempt, kind, client_time=1_780_000_000_000):
    return api_json(
        "POST", f"/api/v1/quiz-attempts/{attempt.id}/events", {"kind": kind, "client_time": client_time}
    )


def events_of(attempt):
    return db.session.scalars(
        sa.select(ExamEvent).where(ExamEvent.attempt_id == attempt.id).order_by(ExamEvent.id)
    ).all()


def test_reports_are_recorded_with_the_servers_time_and_the_clients(login_as, client, exam, api_json, clock):
    login_as("member")
    attempt = start(client, exam)
    assert "切屏次数" in client.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    client_ms = int(datetime(2020, 1, 1, tzinfo=UTC).timestamp() * 1000)  # a page with a wrong clock
    status, body = report(api_json, attempt, "copy", client_ms)
    assert status == 200
    assert body["data"]["counted"] is False
    assert body["data"]["switch_count"] == 0
    clock.advance(10)
    status, body = report(api_json, attempt, "blur")
    assert body["data"]["switch_count"] == 1
    assert body["data"]["counted"] is True
    clock.advance(1)
    # The same trip away fires a hidden page just after the blur: still one switch.
    status, body = report(api_json, attempt, "hidden")
    assert body["data"]["switch_count"] == 1
    assert body["data"]["counted"] is False
    clock.advance(30)
    report(api_json, attempt, "paste")
    report(api_json, attempt, "fullscreen_exit")
    rows = events_of(attempt)
    assert [e.kind for e in rows] == ["copy", "blur", "hidden", "paste", "fullscreen_exit"]
    assert rows[0].client_at == datetime(2020, 1, 1, tzinfo=UTC)
    assert rows[4].received_at == clock.now  # the server's clock, not the page's
    assert (rows[1].received_at - rows[0].received_at).total_seconds() == 10
    assert [e.counted for e in rows] == [False, True, False, False, False]


def test_the_trainer_sees_the_reports_and_the_count_per_attempt(
    login_as, client, exam, trainer, login, api_json, clock
):
    member = login_as("member", name="王学员")
    attempt = start(client, exam)
    report(api_json, attempt, "hidden")
    clock.advance(60)
    report(api_json, attempt, "paste")
    client.post(f"/quiz/attempts/{attempt.id}/submit", data={})
    result = client.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert "切屏次数：1" in result
    client.post("/logout")
    login(trainer)
    results = client.get(f"/quiz/manage/{exam.id}/results").get_data(as_text=True)
    assert f'data-testid="switches-{attempt.id}">1<' in results
    page = client.get(f"/quiz/manage/{exam.id}/attempts/{attempt.id}/events")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert member.name in text
    assert "页面被切走（隐藏）" in text
    assert "粘贴" in text
    assert clock.now.astimezone(integrity_tz()).strftime("%H:%M") in text  # the server's time, Beijing
    # Another trainer's exam is not theirs to read.
    client.post("/logout")
    login_as("trainer")
    assert client.get(f"/quiz/manage/{exam.id}/attempts/{attempt.id}/events").status_code == 403


def integrity_tz():
    from app.core.clock import LOCAL_TZ

    return LOCAL_TZ


def test_the_nth_switch_hands_the_paper_in_graded_as_answered(login_as, client, exam, api_json, clock):
    login_as("member")
    attempt = start(client, exam)
    first = attempt.items[0]
    status, _ = api_json(
        "PUT",
        f"/api/v1/quiz-attempts/{attempt.id}/answers",
        {"answers": {str(first.question_id): correct_display_answer(first.question, first.option_order)}},
    )
    assert status == 200
    for n in (1, 2):
        status, body = report(api_json, attempt, "blur")
        assert (body["data"]["switch_count"], body["data"]["submitted"]) == (n, False)
        clock.advance(20)
    status, body = report(api_json, attempt, "hidden")
    assert body["data"] == {
        "switch_count": 3,
        "switch_limit": 3,
        "counted": True,
        "stored": True,
        "submitted": True,
    }
    db.session.refresh(attempt)
    assert attempt.end_reason == "switches"
    assert (attempt.answered_count, attempt.correct_count, attempt.score) == (1, 1, 25)
    page = client.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert "切屏达到 3 次，系统已按切屏前保存的答案自动交卷" in page
    # The paper is closed: more reports and answers are refused.
    status, body = report(api_json, attempt, "blur")
    assert status == 409
    assert body["errors"][0]["message"] == "试卷已经提交。"


def test_no_limit_means_no_automatic_hand_in(login_as, client, trainer, questions, api_json, clock):
    exam = make_exam(trainer, questions, switch_limit=0)
    login_as("member")
    attempt = start(client, exam)
    for _n in range(5):
        report(api_json, attempt, "hidden")
        clock.advance(10)
    db.session.refresh(attempt)
    assert attempt.finished_at is None
    assert attempt.switch_count == 5


def test_someone_elses_attempt_is_refused(login_as, client, exam, api_json):
    login_as("member")
    attempt = start(client, exam)
    client.post("/logout")
    login_as("member")
    status, body = report(api_json, attempt, "hidden")
    assert status == 404
    assert body["errors"][0]["message"] == "答题记录不存在。"
    db.session.refresh(attempt)
    assert attempt.switch_count == 0
    assert events_of(attempt) == []
    client.post("/logout")
    assert report(api_json, attempt, "hidden")[0] in (401, 403)


def test_a_lesson_quiz_is_not_watched(login_as, client, trainer, questions, api_json):
    lesson_quiz = make_exam(trainer, questions, purpose="lesson")
    login_as("member")
    attempt = start(client, lesson_quiz)
    assert "exam-integrity" not in client.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert report(api_json, attempt, "hidden")[0] == 404


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "teleport", "client_time": 1_780_000_000_000},
        {"kind": "blur", "client_time": "yesterday"},
        {"kind": "blur", "client_time": 10**20},
        {"kind": "blur", "client_time": True},
        {"kind": 3},
        [],
    ],
)
def test_bad_reports_get_a_chinese_4xx(login_as, client, exam, api_json, body):
    login_as("member")
    attempt = start(client, exam)
    status, answer = api_json("POST", f"/api/v1/quiz-attempts/{attempt.id}/events", body)
    assert 400 <= status < 500
    assert any("\u4e00" <= ch <= "\u9fff" for ch in answer["errors"][0]["message"])


def test_reports_are_bounded_but_switches_still_count(login_as, client, exam, api_json, clock, monkeypatch):
    monkeypatch.setattr(integrity, "MAX_STORED_EVENTS", 3)
    login_as("member")
    attempt = start(client, exam)
    for _n in range(3):
        assert report(api_json, attempt, "copy")[0] == 200
    status, body = report(api_json, attempt, "copy")
    assert status == 429
    assert "过多" in body["errors"][0]["message"]
    status, body = report(api_json, attempt, "hidden")  # flooding the log hides no switch
    assert status == 200
    assert body["data"]["switch_count"] == 1
    assert body["data"]["stored"] is False
    assert len(events_of(attempt)) == 3


def test_the_limit_is_validated_on_the_form(login_as, client, questions):
    login_as("trainer")
    response = client.post(
        "/quiz/manage/new",
        data={
            "title": "考试",
            "purpose": "exam",
            "question_ids": str(questions[0].id),
            "pass_mark": 60,
            "review": "after_submit",
            "switch_limit": 99,
        },
    )
    assert response.status_code == 422
    assert "切屏自动交卷" in response.get_data(as_text=True)
