"""The question bank: trainers write, edit, preview and retire questions; answers are tolerant."""

import pytest
import sqlalchemy as sa

from app.core.models import AuditEntry
from app.extensions import db
from app.quiz import bank, play
from app.quiz.grading import AnswerError, is_correct, normalize_text, parse_response
from app.quiz.models import Question, QuestionKind
from tests.helpers import count


def form(**overrides):
    data = {
        "kind": "single",
        "stem": "党的根本宗旨是？",
        "option_a": "全心全意为人民服务",
        "option_b": "发展经济",
        "option_c": "",
        "answer": "a",
        "explanation": "见党章总纲",
        "difficulty": 2,
        "tags": "党章，宗旨",
        "category": "党章",
        "source": "",
    }
    return {**data, **overrides}


def test_a_trainer_writes_previews_edits_and_retires_a_question(login_as, client):
    trainer = login_as("trainer")
    response = client.post("/quiz/bank/new", data=form())
    assert response.status_code == 302, response.get_data(as_text=True)
    question = db.session.scalar(sa.select(Question))
    assert (question.kind, question.options, question.answer, question.tags) == (
        QuestionKind.SINGLE,
        ["全心全意为人民服务", "发展经济"],
        "A",
        "党章,宗旨",
    )
    preview = client.get(f"/quiz/bank/{question.id}").get_data(as_text=True)
    assert "全心全意为人民服务" in preview
    assert "见党章总纲" in preview
    response = client.post(f"/quiz/bank/{question.id}/edit", data=form(answer="B", explanation="改过"))
    assert response.status_code == 302
    db.session.refresh(question)
    assert question.answer == "B"
    assert client.post(f"/quiz/bank/{question.id}/retire").status_code == 302
    db.session.refresh(question)
    assert question.is_retired
    assert play.draw_questions(5) == []
    assert "党的根本宗旨" not in client.get("/quiz/bank").get_data(as_text=True)
    assert "党的根本宗旨" in client.get("/quiz/bank?retired=1").get_data(as_text=True)
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.actor_id == trainer.id)).all()
    assert actions == ["quiz.question_create", "quiz.question_update", "quiz.question_retire"]


def test_form_errors_and_duplicates_are_refused_with_a_message(login_as, client):
    login_as("trainer")
    response = client.post("/quiz/bank/new", data=form(answer="C"))
    assert response.status_code == 400
    assert "答案「C」不在选项 A、B 中" in response.get_data(as_text=True)
    client.post("/quiz/bank/new", data=form())
    response = client.post("/quiz/bank/new", data=form(stem=" 党的根本宗旨是？ "))
    assert response.status_code == 400
    assert "题库中已有相同的题目" in response.get_data(as_text=True)
    assert count(Question) == 1


@pytest.mark.parametrize("role", ["member", "coordinator"])
def test_others_cannot_touch_the_bank(login_as, client, role):
    login_as(role)
    for url in ("/quiz/bank", "/quiz/bank/new", "/quiz/bank/export.xlsx"):
        assert client.get(url).status_code == 403


def test_fill_in_answers_tolerate_width_spacing_and_case():
    question = Question(kind=QuestionKind.FILL, answer=["共产主义", "ABC 123"], options=[])
    for given in ("共产主义", " 共产 主义。", "ａｂｃ１２３", "abc 123"):
        assert is_correct(question, parse_response(question, given, None)), given
    assert not is_correct(question, parse_response(question, "社会主义", None))
    assert normalize_text("Ｈｅｌｌｏ　Ｗｏｒｌｄ！") == "helloworld"


def test_shuffled_options_are_answered_in_the_keys_shown():
    question = Question(kind=QuestionKind.MULTIPLE, options=["甲", "乙", "丙", "丁"], answer=["A", "C"])
    order = [2, 0, 3, 1]  # shown: 丙 甲 丁 乙
    assert is_correct(question, parse_response(question, ["A", "B"], order))
    assert is_correct(question, parse_response(question, "ba", order))
    assert not is_correct(question, parse_response(question, ["A"], order))
    with pytest.raises(AnswerError):
        parse_response(question, "E", order)
    truth = Question(kind=QuestionKind.TRUE_FALSE, options=[], answer=False)
    assert is_correct(truth, parse_response(truth, "错", None))
    assert is_correct(truth, parse_response(truth, False, None))


def test_clean_question_rules():
    with pytest.raises(bank.QuestionError, match="单选题只能有一个正确答案"):
        bank.clean_question("单选", "题", ["甲", "乙"], "AB")
    with pytest.raises(bank.QuestionError, match="选项有重复"):
        bank.clean_question("多选", "题", ["甲", "甲 "], "AB")
    with pytest.raises(bank.QuestionError, match="至少需要一个参考答案"):
        bank.clean_question("填空", "题", [], " | ")
    assert bank.clean_question("判断题", "题", [], "×").answer is False
