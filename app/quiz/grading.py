"""Answers: normalising, parsing what a member sent, grading, and what may be shown when.

Options can be shown in a shuffled order. Members see and answer with the keys on their screen
(A, B, ... in display order); everything stored is in the question's original keys.
"""

import re
import unicodedata

from flask_babel import gettext as _

from app.core.errors import DomainError
from app.quiz.models import OPTION_KEYS, AttemptItem, Question, QuestionKind

_SPACES = re.compile(r"\s+")
_TRAILING = "。.，,；;！!？?、"
TRUE_WORDS = {"true", "t", "1", "对", "正确", "是", "√", "✓", "yes", "y"}
FALSE_WORDS = {"false", "f", "0", "错", "错误", "否", "×", "✗", "x", "no", "n"}


class AnswerError(DomainError):
    """The answer sent cannot be read (message in Chinese)."""


def normalize_text(text: str) -> str:
    """Full-width and half-width alike, no spaces, case-insensitive, no trailing punctuation."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    text = _SPACES.sub("", text).casefold()
    return text.rstrip(_TRAILING)


def _keys_from(raw) -> list[str]:
    if isinstance(raw, str):
        parts = [p for p in re.split(r"[\s,，、;；]+", unicodedata.normalize("NFKC", raw).upper()) if p]
        if len(parts) == 1 and len(parts[0]) > 1 and parts[0].isalpha():
            parts = list(parts[0])  # "ACD"
        return parts
    if isinstance(raw, list | tuple):
        return [unicodedata.normalize("NFKC", str(p)).strip().upper() for p in raw]
    raise AnswerError(_("答案格式不正确"))


def parse_truth(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    word = normalize_text(raw) if isinstance(raw, str | int) else None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise AnswerError(_("判断题请回答“正确”或“错误”"))


def parse_response(question: Question, raw, option_order: list | None):
    """What the member sent, in display keys, turned into the stored shape in original keys."""
    kind = question.kind
    if raw is None or raw == "" or raw == []:
        raise AnswerError(_("请先作答"))
    if kind == QuestionKind.TRUE_FALSE:
        return parse_truth(raw)
    if kind == QuestionKind.FILL:
        if not isinstance(raw, str | int | float):
            raise AnswerError(_("填空题请填写文字"))
        text = str(raw).strip()
        if len(text) > 500:
            raise AnswerError(_("答案太长"))
        return text
    shown = OPTION_KEYS[: len(question.options)]
    keys = _keys_from(raw)
    if not keys or any(k not in shown for k in keys):
        raise AnswerError(_("请从选项 %(options)s 中选择", options="、".join(shown)))
    original = sorted({to_original_key(k, option_order) for k in keys})
    if kind == QuestionKind.SINGLE:
        if len(original) != 1:
            raise AnswerError(_("单选题只能选一个选项"))
        return original[0]
    return original


def to_original_key(display_key: str, option_order: list | None) -> str:
    index = OPTION_KEYS.index(display_key)
    return OPTION_KEYS[option_order[index]] if option_order else display_key


def to_display_key(original_key: str, option_order: list | None) -> str:
    index = OPTION_KEYS.index(original_key)
    return OPTION_KEYS[option_order.index(index)] if option_order else original_key


def is_correct(question: Question, response) -> bool:
    answer = question.answer
    if question.kind == QuestionKind.FILL:
        given = normalize_text(response)
        return bool(given) and any(given == normalize_text(a) for a in answer)
    if question.kind == QuestionKind.MULTIPLE:
        return sorted(response or []) == sorted(answer)
    return response == answer


def display_answer(question: Question, stored, option_order: list | None):
    """A stored answer (or the correct one) in the keys the member saw."""
    if stored is None:
        return None
    if question.kind == QuestionKind.SINGLE:
        return to_display_key(stored, option_order)
    if question.kind == QuestionKind.MULTIPLE:
        return sorted(to_display_key(k, option_order) for k in stored)
    if question.kind == QuestionKind.FILL and isinstance(stored, list):
        return stored[0] if len(stored) == 1 else stored
    return stored


def answer_text(question: Question, stored) -> str:
    """A human rendering of an answer in original keys, for trainers and exports."""
    if stored is None:
        return ""
    if question.kind == QuestionKind.TRUE_FALSE:
        return "正确" if stored else "错误"
    if question.kind == QuestionKind.FILL:
        return " | ".join(stored) if isinstance(stored, list) else str(stored)
    return "".join(stored) if isinstance(stored, list) else str(stored)


def shown_options(question: Question, option_order: list | None) -> list[dict]:
    options = question.options or []
    order = option_order or list(range(len(options)))
    return [{"key": OPTION_KEYS[i], "text": options[original]} for i, original in enumerate(order)]


def public_question(item: AttemptItem) -> dict:
    """The question as a member may see it before answering: never the answer or the 解析."""
    question = item.question
    return {
        "id": question.id,
        "kind": question.kind.value,
        "stem": question.stem,
        "options": shown_options(question, item.option_order),
    }


def revealed(item: AttemptItem) -> dict:
    """What a member sees once a question is answered (or its time is up)."""
    question = item.question
    return {
        "question_id": question.id,
        "correct": bool(item.is_correct),
        "answer": display_answer(question, item.response, item.option_order),
        "correct_answer": display_answer(question, question.answer, item.option_order),
        "explanation": question.explanation,
        "points_awarded": item.points,
    }


def shown_answer(question: Question, stored, option_order: list | None) -> str:
    """An answer as the member reads it, in the keys they saw: "B", "ACD", "正确", "共产主义"."""
    if stored is None:
        return ""
    return answer_text(question, display_answer(question, stored, option_order))
