"""Moodle GIFT syntax: one question's text (comments removed) → the fields of a question.

Only the question syntax lives here; reading a file in blocks, the limits and the report are the
importer's (:func:`app.quiz.importers.parse_gift`).
"""

import re

from flask_babel import gettext as _

from app.quiz.bank import QuestionError
from app.quiz.models import OPTION_KEYS, QuestionKind

_GIFT_ESCAPES = {"\\:": ":", "\\~": "~", "\\=": "=", "\\#": "#", "\\{": "{", "\\}": "}", "\\n": "\n"}


def _unescape(text: str) -> str:
    for escaped, plain in _GIFT_ESCAPES.items():
        text = text.replace(escaped, plain)
    return text.strip()


def _split_unescaped(text: str, chars: str) -> list[tuple[str, str]]:
    """Split at unescaped marker characters: ``[(marker, text), ...]``; the first marker is ''."""
    parts, marker, buffer, i = [], "", [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            buffer.append(text[i : i + 2])
            i += 2
            continue
        if c in chars:
            parts.append((marker, "".join(buffer)))
            marker, buffer = c, []
        else:
            buffer.append(c)
        i += 1
    parts.append((marker, "".join(buffer)))
    return parts


def _find_unescaped(text: str, char: str, start: int = 0) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == char:
            return i
        i += 1
    return -1


_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")


def gift_question(body: str, category: str) -> dict:
    """One GIFT question (comments removed) → the arguments of :func:`clean_question`."""
    body = body.strip()
    title = ""
    if body.startswith("::"):
        end = body.find("::", 2)
        if end > 0:
            title, body = body[2:end].strip(), body[end + 2 :].strip()
    body = re.sub(r"^\[(html|markdown|plain|moodle)\]", "", body)
    opening = _find_unescaped(body, "{")
    closing = _find_unescaped(body, "}", opening + 1) if opening >= 0 else -1
    if opening < 0 or closing < 0:
        raise QuestionError(_("找不到答案部分 {…}"))
    before, inside, after = body[:opening], body[opening + 1 : closing].strip(), body[closing + 1 :]
    stem = _unescape(before + ("____" + after if after.strip() else ""))
    explanation = ""
    general = inside.find("####")
    if general >= 0:
        inside, explanation = inside[:general].strip(), _unescape(inside[general + 4 :])
    values = {"stem": stem or title, "explanation": explanation, "category": category, "source": title}
    if not inside:
        raise QuestionError(_("不支持的 GIFT 题型：问答题（essay）"))
    if inside.startswith("#"):
        raise QuestionError(_("不支持的 GIFT 题型：数值题"))
    head = _split_unescaped(inside, "#")[0][1].strip().upper()
    if head in {"T", "TRUE", "F", "FALSE"}:
        return {**values, "kind": QuestionKind.TRUE_FALSE, "options": [], "answer": head.startswith("T")}
    answers = [(m, _split_unescaped(t, "#")[0][1]) for m, t in _split_unescaped(inside, "=~") if m]
    if not answers:
        raise QuestionError(_("答案部分应以 = 或 ~ 标出选项"))
    if any("->" in text for _, text in answers):
        raise QuestionError(_("不支持的 GIFT 题型：匹配题"))
    weighted = []
    for marker, text in answers:
        text = text.strip()
        weight = None
        if (m := _WEIGHT.match(text)) is not None:
            weight, text = float(m.group(1)), text[m.end() :].strip()
        weighted.append((marker, weight, _unescape(text)))
    if all(marker == "=" for marker, _, _ in weighted):
        return {**values, "kind": QuestionKind.FILL, "options": [], "answer": [t for _, _, t in weighted]}
    options = [t for _, _, t in weighted]
    correct = [
        OPTION_KEYS[i]
        for i, (marker, weight, _) in enumerate(weighted)
        if (weight is not None and weight > 0) or (marker == "=" and weight is None)
    ]
    kind = QuestionKind.MULTIPLE if len(correct) > 1 else QuestionKind.SINGLE
    if len(options) > len(OPTION_KEYS):
        raise QuestionError(_("选项最多 8 个（A–H）"))
    if not correct:
        raise QuestionError(_("没有标出正确答案（用 = 或正的 %权重%）"))
    return {**values, "kind": kind, "options": options, "answer": "".join(correct)}
