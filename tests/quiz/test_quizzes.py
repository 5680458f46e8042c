"""Lesson quizzes and exams: trainers build them, members take them, the server keeps time,
passing tells records, trainers see per-question statistics."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.signals import quiz_passed
from app.extensions import db
from app.quiz import quizzes
from app.quiz.models import Attempt, Quiz
from tests.helpers import config_set
from tests.quiz.conftest import correct_display_answer, explanation_of, wrong_display_answer


@pytest.fixture
def trainer(create_user):
    return create_user("trainer")


@pytest.fixture
def quiz(trainer, questions):
    item = quizzes.create_quiz(
        quizzes.QuizData(
            title="第一课测验",
            question_ids=[q.id for q in questions[:4]],
            time_limit_seconds=600,
            max_attempts=2,
            pass_mark=75,
            is_published=True,
        ),
        trainer,
    )
    db.session.commit()
    return item


@pytest.fixture
def passes():
    received = []

    def receiver(sender, **data):
        received.append(data)

    quiz_passed.connect(receiver)
    yield received
    quiz_passed.disconnect(receiver)


def form_answers(attempt, right: int):
    data = {}
    for i, item in enumerate(attempt.items):
        value = (
            correct_display_answer(item.question, item.option_order)
            if i < right
            else wrong_display_answer(item.question, item.option_order)
        )
        values = value if isinstance(value, list) else [value]
        data[f"q{item.question_id}"] = [str(v).lower() if isinstance(v, bool) else v for v in values]
    return data


def start(client, quiz):
    response = client.post(f"/quiz/q/{quiz.id}/start")
    assert response.status_code == 302, response.get_data(as_text=True)
    attempt_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    return db.session.get(Attempt, attempt_id)


def test_a_trainer_creates_a_quiz_a_lesson_can_reference(login_as, client, questions):
    login_as("trainer")
    ids = ",".join(str(q.id) for q in questions[:3])
    response = client.post(
        "/quiz/manage/new",
        data={
            "title": "课时测验",
            "purpose": "lesson",
            "question_ids": ids,
            "pass_mark": 60,
            "review": "after_submit",
            "draw_difficulty": 0,
            "is_published": "y",
            "shuffle_options": "y",
        },
    )
    assert response.status_code == 302
    quiz = db.session.scalar(sa.select(Quiz).where(Quiz.title == "课时测验"))
    assert [i.question_id for i in quiz.items] == [q.id for q in questions[:3]]
    assert quizzes.quiz_url(quiz.id) == f"/quiz/q/{quiz.id}"
    assert "课时测验" in client.get("/quiz/manage").get_data(as_text=True)
    response = client.post(
        "/quiz/manage/new",
        data={
            "title": "坏",
            "question_ids": "1,abc",
            "pass_mark": 60,
            "purpose": "lesson",
            "review": "after_submit",
            "draw_difficulty": 0,
        },
    )
    assert response.status_code == 422
    assert "题目编号「abc」不是数字" in response.get_data(as_text=True)
    # "²" passed str.isdigit and failed int(); 30 nines overflowed the lookup: both were a 500.
    for ids, message in (("1,²", "题目编号「²」不是数字"), ("9" * 30, f"题目 {'9' * 30} 不存在或已停用")):
        data = {
            "title": "坏",
            "question_ids": ids,
            "pass_mark": 60,
            "purpose": "lesson",
            "review": "after_submit",
        }
        response = client.post("/quiz/manage/new", data=data)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)


def test_taking_a_quiz_without_seeing_answers_then_passing(login_as, client, quiz, passes, clock):
    member = login_as("member")
    attempt = start(client, quiz)
    page = client.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    for item in attempt.items:
        assert explanation_of(item.question) not in page
        if item.question.kind.value == "fill":
            assert all(a not in page for a in item.question.answer)
    assert "解析" not in page
    assert "正确答案" not in page
    clock.advance(120)
    response = client.post(f"/quiz/attempts/{attempt.id}/submit", data=form_answers(attempt, right=3))
    assert response.status_code == 302
    db.session.refresh(attempt)
    assert (attempt.score, attempt.passed, attempt.end_reason) == (75, True, "submitted")
    assert attempt.duration_ms == 120_000
    assert passes == [{"user_id": member.id, "quiz_id": quiz.id, "attempt_id": attempt.id, "score": 75}]
    result = client.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert "正确答案" in result
    assert explanation_of(attempt.items[0].question) in result
    assert quizzes.quiz_status(member, quiz.id)["passed"] is True
    # Submitting again (a double click, a replay) changes nothing and sends nothing.
    client.post(f"/quiz/attempts/{attempt.id}/submit", data=form_answers(attempt, right=0))
    db.session.refresh(attempt)
    assert attempt.score == 75
    assert len(passes) == 1


def test_the_time_limit_is_enforced_by_the_server(login_as, client, quiz, passes, clock, app, api_json):
    login_as("member")
    attempt = start(client, quiz)
    # Two answers saved in time (the page saves as the member goes) ...
    first, second = attempt.items[0], attempt.items[1]
    status, _ = api_json(
        "PUT",
        f"/api/v1/quiz-attempts/{attempt.id}/answers",
        {
            "answers": {
                str(first.question_id): correct_display_answer(first.question, first.option_order),
                str(second.question_id): correct_display_answer(second.question, second.option_order),
            }
        },
    )
    assert status == 200
    clock.advance(600 + app.config["QUIZ_SUBMIT_GRACE_SECONDS"] + 1)
    # ... a save after the deadline is refused ...
    status, body = api_json(
        "PUT", f"/api/v1/quiz-attempts/{attempt.id}/answers", {"answers": {str(first.question_id): "B"}}
    )
    assert status == 409
    assert body["errors"][0]["message"] == "已超过答题时限，答案未被记录。"
    # ... and a late hand-in with all four right counts only what was saved in time.
    response = client.post(
        f"/quiz/attempts/{attempt.id}/submit", data=form_answers(attempt, right=4), follow_redirects=True
    )
    assert "交卷时已超过答题时限" in response.get_data(as_text=True)
    db.session.refresh(attempt)
    assert (attempt.score, attempt.passed, attempt.end_reason) == (50, False, "timeout")
    assert attempt.duration_ms == 600_000
    assert passes == []


def test_saving_under_a_key_that_is_no_question_number_is_refused(login_as, client, quiz, api_json):
    """str.isdigit let "²" through to int(), which fails: saving the paper answered 500."""
    login_as("member")
    attempt = start(client, quiz)
    for key in ("²", "٣", "1.0", "-1"):
        status, body = api_json("PUT", f"/api/v1/quiz-attempts/{attempt.id}/answers", {"answers": {key: "A"}})
        assert status == 422, key
        assert body["errors"][0]["message"] == "有题目不属于这份试卷。"


def test_attempts_allowed_and_an_abandoned_paper_is_graded_on_return(login_as, client, quiz, clock):
    login_as("member")
    first = start(client, quiz)
    assert start(client, quiz).id == first.id  # resuming, not a second attempt
    clock.advance(3600)
    second = start(client, quiz)  # the abandoned paper is graded (0 saved answers) and a new one starts
    assert second.id != first.id
    db.session.refresh(first)
    assert first.end_reason == "timeout"
    assert first.score == 0
    client.post(f"/quiz/attempts/{second.id}/submit", data=form_answers(second, right=1))
    response = client.post(f"/quiz/q/{quiz.id}/start", follow_redirects=True)
    assert "您已用完全部 2 次作答机会。" in response.get_data(as_text=True)


def test_exam_window_and_review_after_close(login_as, client, trainer, questions, clock):
    exam = quizzes.create_quiz(
        quizzes.QuizData(
            title="年度考试",
            purpose="exam",
            draw_count=5,
            pass_mark=60,
            review="after_close",
            opens_at=clock.now + timedelta(hours=1),
            closes_at=clock.now + timedelta(hours=2),
            is_published=True,
        ),
        trainer,
    )
    db.session.commit()
    login_as("member")
    response = client.post(f"/quiz/q/{exam.id}/start", follow_redirects=True)
    assert "考试尚未开始。" in response.get_data(as_text=True)
    clock.advance(3600 + 1800)
    attempt = start(client, exam)
    assert len(attempt.items) == 5
    assert attempt.deadline_at == exam.closes_at  # no limit of its own: the window's end
    client.post(f"/quiz/attempts/{attempt.id}/submit", data=form_answers(attempt, right=5))
    page = client.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert "答案与解析将在考试结束后公布" in page
    assert "正确答案" not in page
    clock.advance(3600)
    assert "正确答案" in client.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    response = client.post(f"/quiz/q/{exam.id}/start", follow_redirects=True)
    assert "考试已经结束。" in response.get_data(as_text=True)


def test_results_with_per_question_statistics(
    login_as, client, quiz, trainer, create_user, login, clock, count_queries
):
    for right in (4, 3, 1):
        client.post("/logout")
        login(create_user("member"))
        attempt = start(client, quiz)
        client.post(f"/quiz/attempts/{attempt.id}/submit", data=form_answers(attempt, right=right))
    with count_queries() as statements:
        stats = quizzes.quiz_results(quiz)
    assert len(statements) == 2
    assert (stats["attempts"], stats["members"], stats["passed"]) == (3, 3, 2)
    assert stats["average"] == round((100 + 75 + 25) / 3, 1)
    assert [row["shown"] for row in stats["questions"]] == [3, 3, 3, 3]
    assert sum(row["correct"] for row in stats["questions"]) == 4 + 3 + 1
    rates = [row["rate"] for row in stats["questions"]]
    assert rates == sorted(rates)  # hardest first
    client.post("/logout")
    login(trainer)
    page = client.get(f"/quiz/manage/{quiz.id}/results").get_data(as_text=True)
    assert "各题正确率" in page


def test_only_the_owner_edits_and_sees_results(login_as, client, quiz, create_user, login):
    login_as("trainer")
    assert client.get(f"/quiz/manage/{quiz.id}/edit").status_code == 403
    assert client.get(f"/quiz/manage/{quiz.id}/results").status_code == 403
    client.post("/logout")
    login_as("member")
    assert client.get(f"/quiz/manage/{quiz.id}/results").status_code == 403
    assert client.get("/quiz/manage").status_code == 403
    client.post("/logout")
    login_as("admin")
    assert client.get(f"/quiz/manage/{quiz.id}/edit").status_code == 200


def test_someone_elses_paper_is_not_found(login_as, client, quiz, create_user, login):
    login_as("member")
    attempt = start(client, quiz)
    client.post("/logout")
    login_as("member")
    assert client.get(f"/quiz/attempts/{attempt.id}").status_code == 404
    assert client.post(f"/quiz/attempts/{attempt.id}/submit").status_code == 404


def test_unpublished_quizzes_are_hidden_from_members(login_as, client, trainer, questions):
    draft = quizzes.create_quiz(quizzes.QuizData(title="草稿", question_ids=[questions[0].id]), trainer)
    db.session.commit()
    login_as("member")
    assert client.get(f"/quiz/q/{draft.id}").status_code == 404


def test_finding_quiz_url_honours_the_sites_root_in_a_request_and_outside_one(app):
    """``quiz_url`` built its link on a URL map bound to no root: a site served under ``/hongke``
    linked a lesson's quiz to ``/quiz/q/5``, outside the site, from pages and from tasks alike."""
    with app.test_request_context("/courses/lessons/1", base_url="http://school.example/hongke"):
        assert quizzes.quiz_url(5) == "/hongke/quiz/q/5"
    with config_set(app, APPLICATION_ROOT="/hongke"):
        assert quizzes.quiz_url(5) == "/hongke/quiz/q/5"  # a worker, with no request to ask
    assert quizzes.quiz_url(5) == "/quiz/q/5"
