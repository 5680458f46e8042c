"""The question bank: validating, writing, editing and retiring questions.

One validator (:func:`clean_question`) serves the trainer's form and every import format, so a
question means the same whichever way it arrives.
"""

import dataclasses
import hashlib
import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts.models import User
from app.core import audit
from app.core.errors import DomainError
from app.extensions import db
from app.quiz.grading import FALSE_WORDS, TRUE_WORDS, normalize_text
from app.quiz.models import (
    DIFFICULTY_NAMES,
    KIND_NAMES,
    OPTION_KEYS,
    Question,
    QuestionGrant,
    QuestionKind,
)

MAX_STEM = 2000
_KIND_WORDS = {
    **{name: kind for kind, name in KIND_NAMES.items()},
    **{kind.value: kind for kind in QuestionKind},
    "单选": QuestionKind.SINGLE,
    "多选": QuestionKind.MULTIPLE,
    "判断": QuestionKind.TRUE_FALSE,
    "填空": QuestionKind.FILL,
    "不定项": QuestionKind.MULTIPLE,
}
_DIFFICULTY_WORDS = {name: level for level, name in DIFFICULTY_NAMES.items()}
_SPLIT_TAGS = re.compile(r"[,，、;；\s]+")
_SPLIT_ANSWERS = re.compile(r"[|｜]")


class QuestionError(DomainError):
    """A question that cannot be saved; the message (Chinese) says why."""


class GrantError(DomainError):
    """A co-editing grant that cannot be given; ``status`` is 403 (not yours to grant) or 422."""


@dataclass
class QuestionFields:
    kind: QuestionKind
    stem: str
    options: list[str]
    answer: object
    explanation: str = ""
    difficulty: int = 3
    tags: str = ""
    category: str = ""
    source: str = ""

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.kind, self.stem, self.options)

    def columns(self) -> dict:
        """The fields by name, as the :class:`Question` columns of the same names take them."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def fingerprint(kind: QuestionKind, stem: str, options: list[str]) -> str:
    """Identity of a question for duplicate checks: kind, stem and the set of options, normalised."""
    parts = [kind.value, normalize_text(stem), *sorted(normalize_text(o) for o in options)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def parse_kind(value) -> QuestionKind:
    word = unicodedata.normalize("NFKC", str(value or "")).strip().lower()
    if word not in _KIND_WORDS:
        raise QuestionError(_("未知题型「%(value)s」，应为单选题、多选题、判断题或填空题", value=value))
    return _KIND_WORDS[word]


def parse_difficulty(value) -> int:
    if value in (None, ""):
        return 3
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text in _DIFFICULTY_WORDS:
        return _DIFFICULTY_WORDS[text]
    try:
        level = int(float(text))
    except ValueError:
        raise QuestionError(
            _("难度「%(value)s」无效，应为 1–5 或 易、较易、中、较难、难", value=value)
        ) from None
    if not 1 <= level <= 5:
        raise QuestionError(_("难度「%(value)s」无效，应为 1–5", value=value))
    return level


def _choice_keys(value, count: int) -> list[str]:
    text = unicodedata.normalize(
        "NFKC", str(value if not isinstance(value, list | tuple) else "".join(value))
    )
    keys = [k for k in re.sub(r"[\s,;、，；]", "", text).upper()]
    if not keys:
        raise QuestionError(_("答案不能为空"))
    allowed = OPTION_KEYS[:count]
    wrong = [k for k in keys if k not in allowed]
    if wrong:
        raise QuestionError(
            _("答案「%(wrong)s」不在选项 %(options)s 中", wrong="".join(wrong), options="、".join(allowed))
        )
    return sorted(set(keys))


def clean_question(
    kind, stem, options, answer, explanation="", difficulty=None, tags="", category="", source=""
) -> QuestionFields:
    """Validate and normalise one question; :class:`QuestionError` on the first problem."""
    kind = kind if isinstance(kind, QuestionKind) else parse_kind(kind)
    stem = (stem or "").strip()
    if not stem:
        raise QuestionError(_("题干不能为空"))
    if len(stem) > MAX_STEM:
        raise QuestionError(_("题干不能超过 %(max_stem)s 字", max_stem=MAX_STEM))
    options = ["" if o is None else str(o).strip() for o in (options or [])]
    while options and not options[-1]:
        options.pop()
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        if len(options) < 2:
            raise QuestionError(_("选择题至少需要两个选项"))
        if len(options) > len(OPTION_KEYS):
            raise QuestionError(_("选项最多 8 个（A–H）"))
        if any(not o for o in options):
            raise QuestionError(_("选项之间不能有空选项"))
        if len({normalize_text(o) for o in options}) != len(options):
            raise QuestionError(_("选项有重复"))
        keys = _choice_keys(answer, len(options))
        if kind == QuestionKind.SINGLE and len(keys) != 1:
            raise QuestionError(_("单选题只能有一个正确答案"))
        cleaned = keys[0] if kind == QuestionKind.SINGLE else keys
    elif kind == QuestionKind.TRUE_FALSE:
        options = []
        word = normalize_text(answer) if not isinstance(answer, bool) else None
        if isinstance(answer, bool):
            cleaned = answer
        elif word in TRUE_WORDS:
            cleaned = True
        elif word in FALSE_WORDS:
            cleaned = False
        else:
            raise QuestionError(_("判断题答案「%(answer)s」无效，应为 正确/错误（对/错）", answer=answer))
    else:
        options = []
        accepted = answer if isinstance(answer, list) else _SPLIT_ANSWERS.split(str(answer or ""))
        cleaned = [a.strip() for a in accepted if str(a).strip()]
        if not cleaned:
            raise QuestionError(_("填空题至少需要一个参考答案（多个答案用 | 分隔）"))
    return QuestionFields(
        kind=kind,
        stem=stem,
        options=options,
        answer=cleaned,
        explanation=(explanation or "").strip(),
        difficulty=parse_difficulty(difficulty),
        tags=",".join(dict.fromkeys(t for t in _SPLIT_TAGS.split(tags or "") if t))[:200],
        category=(category or "").strip()[:64],
        source=(source or "").strip()[:200],
    )


def find_duplicate(fields: QuestionFields, exclude_id: int | None = None) -> Question | None:
    query = sa.select(Question).where(Question.fingerprint == fields.fingerprint)
    if exclude_id is not None:
        query = query.where(Question.id != exclude_id)
    return db.session.scalar(query)


def _apply(question: Question, fields: QuestionFields) -> None:
    for name, value in fields.columns().items():
        setattr(question, name, value)
    question.fingerprint = fields.fingerprint


def create_question(fields: QuestionFields, actor: User | None) -> Question:
    if (same := find_duplicate(fields)) is not None:
        raise QuestionError(_("题库中已有相同的题目（编号 %(id)s）", id=same.id))
    question = Question(created_by_id=actor.id if actor else None, owner_id=actor.id if actor else None)
    _apply(question, fields)
    db.session.add(question)
    db.session.flush()
    audit.record(actor, "quiz.question_create", question, f"新增题目 {question.stem[:40]}")
    return question


def update_question(question: Question, fields: QuestionFields, actor: User) -> Question:
    if (same := find_duplicate(fields, exclude_id=question.id)) is not None:
        raise QuestionError(_("题库中已有相同的题目（编号 %(id)s）", id=same.id))
    before = {"stem": question.stem, "answer": question.answer}
    _apply(question, fields)
    db.session.flush()
    audit.record(actor, "quiz.question_update", question, f"修改题目 {question.id}", {"before": before})
    return question


def retire_question(question: Question, actor: User, retired: bool = True) -> Question:
    """Retired questions stay for past attempts and reviews but are never drawn again."""
    question.is_retired = retired
    db.session.flush()
    action = "quiz.question_retire" if retired else "quiz.question_restore"
    audit.record(actor, action, question, f"{'停用' if retired else '恢复'}题目 {question.id}")
    return question


def questions_query(
    search: str | None = None,
    kind: str | None = None,
    category: str | None = None,
    include_retired: bool = False,
):
    query = sa.select(Question).order_by(Question.id.desc())
    if not include_retired:
        query = query.where(Question.is_retired.is_(False))
    if search:
        like = f"%{search.strip()}%"
        query = query.where(sa.or_(Question.stem.like(like), Question.tags.like(like)))
    if kind:
        query = query.where(Question.kind == kind)
    if category:
        query = query.where(Question.category == category)
    return query


def categories() -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Question.category).where(Question.category != "").distinct().order_by(Question.category)
        )
    )


# --- who may edit: owners, co-editors by grant, admins ------------------------------------------


def _granted(user_id: int):
    """SQL: ``user_id`` holds a grant on the question's owner and category."""
    return (
        sa.select(QuestionGrant.id)
        .where(
            QuestionGrant.grantee_id == user_id,
            QuestionGrant.owner_id == Question.owner_id,
            QuestionGrant.category == Question.category,
        )
        .exists()
    )


def editable_by(user: User):
    """SQL condition: questions ``user`` may edit, retire and export."""
    if user.is_admin:
        return sa.true()
    if not user.has_role("trainer"):
        return sa.false()
    return sa.or_(Question.owner_id == user.id, _granted(user.id))


def answers_known_to(user_id: int):
    """SQL condition: questions whose answers ``user_id`` wrote or may read as owner or co-editor."""
    return sa.or_(Question.owner_id == user_id, Question.created_by_id == user_id, _granted(user_id))


def can_edit_question(user: User, question: Question) -> bool:
    if user.is_admin:
        return True
    if not user.has_role("trainer") or question.owner_id is None:
        return False
    if question.owner_id == user.id:
        return True
    return bool(db.session.scalar(sa.select(_granted(user.id)).where(Question.id == question.id)))


def grant_category(owner: User, category: str, grantee: User, actor: User) -> QuestionGrant:
    """Let ``grantee`` co-edit ``owner``'s questions in ``category``. Only the owner or an admin grants."""
    if not (actor.is_admin or (actor.id == owner.id and actor.has_role("trainer"))):
        raise GrantError(_("只有题目的作者本人或管理员可以授权共同编辑。"), 403)
    category = (category or "").strip()[:64]
    if not grantee.has_role("trainer") or not grantee.is_active_account:
        raise GrantError(_("只能授权给讲师：「%(name)s」不是讲师。", name=grantee.name))
    if grantee.id == owner.id:
        raise GrantError(_("不能授权给题目的作者本人。"))
    existing = db.session.scalar(
        sa.select(QuestionGrant).where(
            QuestionGrant.owner_id == owner.id,
            QuestionGrant.category == category,
            QuestionGrant.grantee_id == grantee.id,
        )
    )
    if existing is not None:
        return existing
    grant = QuestionGrant(owner_id=owner.id, category=category, grantee_id=grantee.id, granted_by_id=actor.id)
    db.session.add(grant)
    db.session.flush()
    audit.record(
        actor,
        "quiz.grant_create",
        grant,
        f"授权 {grantee.name} 共同编辑 {owner.name} 的「{category or '未分类'}」题目",
    )
    return grant


def revoke_grant(grant: QuestionGrant, actor: User) -> None:
    if not (actor.is_admin or actor.id == grant.owner_id):
        raise GrantError(_("只有题目的作者本人或管理员可以取消授权。"), 403)
    audit.record(actor, "quiz.grant_revoke", grant, f"取消 {grant.grantee.name} 的共同编辑授权")
    db.session.delete(grant)
    db.session.flush()


def grants_query(user: User):
    """Grants ``user`` gave or holds (every grant for an admin)."""
    query = sa.select(QuestionGrant).order_by(QuestionGrant.id.desc())
    if not user.is_admin:
        query = query.where(sa.or_(QuestionGrant.owner_id == user.id, QuestionGrant.grantee_id == user.id))
    return query
