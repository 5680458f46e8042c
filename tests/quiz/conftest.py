"""Fixtures for the quiz tests: a marked question bank, a movable server clock, a JSON caller."""

from datetime import UTC, datetime

import pytest

from app.extensions import db
from app.quiz import bank

#: Every question carries markers that must never reach a member before they answer it.
EXPLANATION = "解析标记{n}号"
FILL_ANSWER = "填空答案{n}号"


def make_question(n: int, kind: str = "single", category: str = "党章", difficulty: int = 3):
    """Question number ``n`` of ``kind``; for choice questions the first option is correct."""
    options, answer = [], None
    if kind == "single":
        options, answer = [f"第{n}题正确项", f"第{n}题干扰一", f"第{n}题干扰二", f"第{n}题干扰三"], "A"
    elif kind == "multiple":
        options, answer = [f"第{n}题正确甲", f"第{n}题正确乙", f"第{n}题干扰一", f"第{n}题干扰二"], "AB"
    elif kind == "true_false":
        answer = "正确"
    else:
        answer = f"{FILL_ANSWER.format(n=n)}|备选{n}号"
    fields = bank.clean_question(
        kind, f"第{n}题的题干？", options, answer, EXPLANATION.format(n=n), difficulty, "测试", category
    )
    question = bank.create_question(fields, None)
    db.session.commit()
    return question


def correct_display_answer(question, option_order):
    """What a member must send to be right, in the keys they were shown."""
    from app.quiz.grading import display_answer

    value = display_answer(question, question.answer, option_order)
    return value[0] if question.kind.value == "fill" else value


def wrong_display_answer(question, option_order):
    from app.quiz.grading import display_answer

    kind = question.kind.value
    if kind == "true_false":
        return not question.answer
    if kind == "fill":
        return "完全不对的答案"
    right = display_answer(question, question.answer, option_order)
    wrong = [k for k in "ABCD" if k not in right]
    return wrong[0] if kind == "single" else [wrong[0]]


@pytest.fixture
def questions():
    """Twelve questions: three of each kind."""
    kinds = ["single", "multiple", "true_false", "fill"] * 3
    return [make_question(n, kind) for n, kind in enumerate(kinds, start=1)]


@pytest.fixture
def clock_start():
    return datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


@pytest.fixture
def api_json(client):
    """``api_json(method, url, body=None)`` → (status, parsed body) with the logged-in session."""

    def call(method, url, body=None):
        response = client.open(url, method=method, json=body)
        return response.status_code, response.get_json()

    return call


def question_of(question_id):
    from app.quiz.models import Question

    return db.session.get(Question, question_id)


def explanation_of(question) -> str:
    """The 解析 marker of a question made by :func:`make_question` (its number is in the stem)."""
    return EXPLANATION.format(n=question.stem[1:].split("题")[0])
