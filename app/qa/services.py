"""Q&A operations. Callers own the transaction; every change is flushed and audited.

Visibility: a question hidden from peers (``is_private``) is seen by its asker, by trainers (who
answer) and by admins, never by other members. Content hidden by a moderator is seen by admins
(marked) and by its author (told it is hidden), by nobody else. Moderators are admins.
"""

import re
from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import Role, User
from app.core import audit
from app.core.clock import utcnow
from app.core.errors import DomainError
from app.core.signals import content_published, notification_requested
from app.core.text import plain_text
from app.core.transactions import insert_in_savepoint
from app.core.urls import site_path
from app.extensions import db
from app.kb import authoring as kb_authoring
from app.kb import services as kb_services
from app.kb.models import Tag
from app.qa.models import (
    ANSWER_BODY_MAX,
    COMMENT_BODY_MAX,
    QUESTION_BODY_MAX,
    QUESTION_TITLE_MAX,
    Answer,
    AnswerVote,
    Comment,
    Question,
    expert_tag,
)


class QaError(DomainError):
    """A problem the user caused; ``field`` names the input at fault."""


# --- permissions ----------------------------------------------------------------------------------


def is_moderator(user: User) -> bool:
    return user.is_authenticated and user.is_admin


def sees_private(user: User) -> bool:
    return user.has_any_role(Role.TRAINER)


def can_see_question(user: User, question: Question) -> bool:
    if is_moderator(user) or question.author_id == user.id:
        return True
    if question.is_hidden:
        return False
    return not question.is_private or sees_private(user)


def can_see_item(user: User, item: Answer | Comment) -> bool:
    return not item.is_hidden or is_moderator(user) or item.author_id == user.id


def get_question_for(question_id: int, user: User) -> Question:
    """A question ``user`` may see; 404 otherwise (a private question's existence is private too)."""
    question = db.session.get(Question, question_id)
    if question is None or not can_see_question(user, question):
        raise NotFound()
    return question


def get_answer_for(answer_id: int, user: User) -> Answer:
    answer = db.session.get(Answer, answer_id)
    if answer is None or not can_see_item(user, answer):
        raise NotFound()
    get_question_for(answer.question_id, user)
    return answer


def visible_questions_query(user: User):
    """Questions ``user`` may see in lists."""
    query = sa.select(Question)
    if is_moderator(user):
        return query
    query = query.where(sa.or_(Question.is_hidden.is_(False), Question.author_id == user.id))
    if not sees_private(user):
        query = query.where(sa.or_(Question.is_private.is_(False), Question.author_id == user.id))
    return query


def questions_query(user: User, tab: str = "latest", tag: Tag | None = None, text: str | None = None):
    query = visible_questions_query(user)
    if tab == "unanswered":
        query = query.where(Question.answer_count == 0)
    elif tab == "solved":
        query = query.where(Question.is_solved.is_(True))
    elif tab == "mine":
        query = query.where(Question.author_id == user.id)
    if tag is not None:
        query = query.where(Question.tags.any(Tag.id == tag.id))
    if text:
        query = query.where(Question.title.like(f"%{text.strip()}%"))
    return query.order_by(Question.last_activity_at.desc(), Question.id.desc())


# --- asking, answering, commenting ----------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def _check_body(body: str, limit: int, what: str, required: bool = True) -> str:
    if not isinstance(body, str):
        raise QaError(_("%(what)s必须是文字", what=what), field="body")
    body = body.replace("\r\n", "\n")
    if required and not body.strip():
        raise QaError(_("请填写%(what)s", what=what), field="body")
    if len(body) > limit:
        raise QaError(_("%(what)s不能超过 %(limit)s 个字", what=what, limit=limit), field="body")
    return body


def _notify(
    user_ids: Iterable[int], title: str, body: str, question: Question, kind: str, anchor: str = ""
) -> None:
    ids = sorted({i for i in user_ids if i})
    if ids:
        notification_requested.send(
            "qa",
            user_ids=ids,
            title=title,
            body=body,
            url=site_path("qa.question", question_id=question.id) + anchor,
            kind=kind,
        )


def experts_for(tag_ids: Iterable[int]) -> list[int]:
    """Active trainers designated as experts for any of ``tag_ids``."""
    tag_ids = list(tag_ids)
    if not tag_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(expert_tag.c.user_id)
            .join(User, User.id == expert_tag.c.user_id)
            .where(expert_tag.c.tag_id.in_(tag_ids), User.is_active_account.is_(True))
            .distinct()
        )
    )


def ask_question(
    actor: User, title: str, body: str, tags: Iterable[str] | str = (), is_private: bool = False
) -> Question:
    if not isinstance(title, str) or not title.strip():
        raise QaError(_("请填写问题标题"), field="title")
    title = _SPACES.sub(" ", title).strip()
    if len(title) < 4:
        raise QaError(_("问题标题太短，请至少写 4 个字"), field="title")
    if len(title) > QUESTION_TITLE_MAX:
        raise QaError(
            _("问题标题不能超过 %(question_title_max)s 个字", question_title_max=QUESTION_TITLE_MAX),
            field="title",
        )
    body = _check_body(body or "", QUESTION_BODY_MAX, _("问题描述"), required=False)
    try:
        tag_rows = kb_services.get_or_create_tags(kb_services.parse_tags(tags))
    except kb_services.KbError as exc:
        raise QaError(str(exc), field="tags") from None
    question = Question(title=title, body=body, author_id=actor.id, is_private=bool(is_private))
    question.tags = tag_rows
    db.session.add(question)
    db.session.flush()
    audit.record(actor, "qa.question.ask", question, f"提问《{title}》", {"private": question.is_private})
    _notify(
        [i for i in experts_for(t.id for t in tag_rows) if i != actor.id],
        "有新问题等您解答",
        f"{'、'.join(t.name for t in tag_rows)}：{title}",
        question,
        "qa.question",
    )
    return question


def answer_question(question: Question, actor: User, body: str) -> Answer:
    if not can_see_question(actor, question):
        raise NotFound()
    if question.is_hidden:
        raise QaError(_("这个问题已被隐藏，不能再回答"))
    body = _check_body(body, ANSWER_BODY_MAX, _("回答"))
    answer = Answer(question_id=question.id, author_id=actor.id, body=body)
    db.session.add(answer)
    db.session.execute(
        sa.update(Question)
        .where(Question.id == question.id)
        .values(answer_count=Question.answer_count + 1, last_activity_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    db.session.refresh(question, ["answer_count", "last_activity_at"])
    audit.record(actor, "qa.answer.create", answer, f"回答《{question.title}》")
    content_published.send(
        "qa", user_id=actor.id, kind="qa_answer", target=f"question:{question.id}", item_id=answer.id
    )
    if question.author_id != actor.id:
        _notify(
            [question.author_id],
            "您的问题有了新回答",
            f"{actor.name} 回答了《{question.title}》：{plain_text(body, 80)}",
            question,
            "qa.answer",
            f"#answer-{answer.id}",
        )
    return answer


def add_comment(question: Question, actor: User, body: str, answer: Answer | None = None) -> Comment:
    if not can_see_question(actor, question) or (answer is not None and not can_see_item(actor, answer)):
        raise NotFound()
    if answer is not None and answer.question_id != question.id:
        raise NotFound()
    if question.is_hidden:
        raise QaError(_("这个问题已被隐藏，不能再评论"))
    body = _check_body(body, COMMENT_BODY_MAX, _("评论")).strip()
    comment = Comment(
        question_id=question.id, answer_id=answer.id if answer else None, author_id=actor.id, body=body
    )
    db.session.add(comment)
    db.session.flush()
    audit.record(actor, "qa.comment.create", comment, f"评论《{question.title}》")
    content_published.send(
        "qa", user_id=actor.id, kind="qa_comment", target=f"question:{question.id}", item_id=comment.id
    )
    owner = answer.author_id if answer is not None else question.author_id
    if owner != actor.id:
        _notify(
            [owner],
            "有人评论了您的" + ("回答" if answer is not None else "问题"),
            f"{actor.name}：{plain_text(body, 80)}",
            question,
            "qa.comment",
            f"#answer-{answer.id}" if answer is not None else "",
        )
    return comment


def answers_for(question: Question, user: User) -> list[Answer]:
    """The answers ``user`` may see: accepted first, then by score, then oldest first."""
    query = sa.select(Answer).where(Answer.question_id == question.id)
    if not is_moderator(user):
        query = query.where(sa.or_(Answer.is_hidden.is_(False), Answer.author_id == user.id))
    return list(db.session.scalars(query.order_by(Answer.is_accepted.desc(), Answer.score.desc(), Answer.id)))


def comments_for(question: Question, user: User) -> dict[int | None, list[Comment]]:
    """Comments by answer id (``None`` for the question's own), in one query."""
    query = sa.select(Comment).where(Comment.question_id == question.id)
    if not is_moderator(user):
        query = query.where(sa.or_(Comment.is_hidden.is_(False), Comment.author_id == user.id))
    grouped: dict[int | None, list[Comment]] = {}
    for comment in db.session.scalars(query.order_by(Comment.id)):
        grouped.setdefault(comment.answer_id, []).append(comment)
    return grouped


def my_votes(question: Question, user: User) -> dict[int, int]:
    return dict(
        db.session.execute(
            sa.select(AnswerVote.answer_id, AnswerVote.value)
            .join(Answer, Answer.id == AnswerVote.answer_id)
            .where(Answer.question_id == question.id, AnswerVote.user_id == user.id)
        ).all()
    )


def record_view(question: Question, viewer: User) -> None:
    if question.author_id != viewer.id:
        db.session.execute(
            sa.update(Question)
            .where(Question.id == question.id)
            .values(view_count=Question.view_count + 1)
            .execution_options(synchronize_session=False)
        )


# --- accepting and voting -------------------------------------------------------------------------


# The _notify call here is alike in shape to answer_question's: different recipient, words and link.
def accept_answer(answer: Answer, actor: User) -> Answer:
    """The asker (or an admin) marks the best answer; accepting another moves the mark."""
    question = answer.question
    if question.author_id != actor.id and not is_moderator(actor):
        raise Forbidden(_("只有提问人可以采纳回答。"))
    if answer.is_hidden:
        raise QaError(_("被隐藏的回答不能采纳"))
    if answer.is_accepted:
        raise QaError(_("已经采纳了这个回答"))
    # One statement flips every answer of the question: never two accepted at once.
    db.session.execute(
        sa.update(Answer)
        .where(Answer.question_id == question.id)
        .values(is_accepted=sa.case((Answer.id == answer.id, True), else_=False))
        .execution_options(synchronize_session=False)
    )
    question.is_solved = True
    question.last_activity_at = utcnow()
    db.session.flush()
    db.session.refresh(answer, ["is_accepted"])
    audit.record(actor, "qa.answer.accept", answer, f"采纳《{question.title}》的回答")
    if answer.author_id != actor.id:
        _notify(
            [answer.author_id],
            "您的回答被采纳了",
            f"《{question.title}》的提问人采纳了您的回答。",
            question,
            "qa.accepted",
            f"#answer-{answer.id}",
        )
    return answer


def vote_answer(answer: Answer, actor: User, value: int) -> int:
    """Vote +1 or -1; voting the same way again takes the vote back. Returns the new score.

    One vote per user and answer is the table's primary key; the score changes by the difference in
    the same transaction with ``score = score + delta``, which concurrent voters cannot lose.
    """
    if value not in (1, -1):
        raise QaError(_("投票只能是赞同或反对"))
    if answer.author_id == actor.id:
        raise QaError(_("不能给自己的回答投票"))
    if answer.is_hidden:
        raise QaError(_("被隐藏的回答不能投票"))
    key = {"answer_id": answer.id, "user_id": actor.id}
    delta = 0
    existing = db.session.get(AnswerVote, (answer.id, actor.id), populate_existing=True)
    if existing is None:
        if insert_in_savepoint(AnswerVote(**key, value=value)):
            delta = value
        else:  # a second click raced the first: treat it as a repeat
            existing = db.session.get(AnswerVote, (answer.id, actor.id), populate_existing=True)
    if existing is not None:
        if existing.value == value:
            db.session.delete(existing)
            delta = -value
        else:
            existing.value = value
            delta = 2 * value
    db.session.execute(
        sa.update(Answer)
        .where(Answer.id == answer.id)
        .values(score=Answer.score + delta)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    db.session.refresh(answer, ["score"])
    return answer.score


# --- duplicates -----------------------------------------------------------------------------------

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[A-Za-z0-9]{2,}")
#: Particles too common to say anything about a question's topic.
_STOP = {"什么", "怎么", "如何", "是否", "可以", "我们", "一个", "哪些", "为什", "么是", "请问", "问题"}


def title_terms(title: str, limit: int = 24) -> list[str]:
    """Overlapping two-character pieces of the Chinese in ``title`` plus its Latin words."""
    terms: list[str] = []
    for run in _CJK_RUN.findall(title or ""):
        terms += [run[i : i + 2] for i in range(len(run) - 1)] if len(run) > 1 else []
    terms += [w.lower() for w in _WORD.findall(title or "")]
    unique = [t for t in dict.fromkeys(terms) if t not in _STOP]
    return unique[:limit]


def similar_questions(
    title: str, user: User, limit: int = 5, exclude_id: int | None = None
) -> list[Question]:
    """Questions ``user`` may see whose titles share the most pieces with ``title`` (asked while typing)."""
    terms = title_terms(title)
    if not terms:
        return []
    matches = [Question.title.ilike(f"%{t}%") for t in terms]
    query = visible_questions_query(user).where(sa.or_(*matches))
    if exclude_id:
        query = query.where(Question.id != exclude_id)
    candidates = list(
        db.session.scalars(query.order_by(Question.is_solved.desc(), Question.id.desc()).limit(60))
    )
    # A third of the pieces for a short title; for a long one, three shared pieces (a four-character
    # phrase such as 党费缴纳) are enough to be worth a look.
    need = min(3, max(1, round(len(terms) * 0.3)))
    scored = []
    for q in candidates:
        lowered = q.title.lower()
        hits = sum(1 for t in terms if t in lowered)
        if hits >= need:
            scored.append((hits, q.is_solved, q.id, q))
    scored.sort(key=lambda row: row[:3], reverse=True)
    return [row[3] for row in scored[:limit]]


# --- FAQ ------------------------------------------------------------------------------------------


def convert_to_article(question: Question, actor: User):
    """Turn an answered question into a knowledge-base article draft (FAQ), through the KB's service."""
    if not kb_services.can_write(actor):
        raise Forbidden(_("只有讲师、组织员和管理员可以整理文章。"))
    if question.article_id is not None:
        raise QaError(_("这个问题已经整理成文章了"))
    if question.is_private or question.is_hidden:
        raise QaError(_("不公开或已隐藏的问题不能整理成文章"))
    answers = [a for a in answers_for(question, actor) if not a.is_hidden]
    if not answers:
        raise QaError(_("还没有回答的问题不能整理成文章"))
    best = answers[0]
    body = (
        (question.body.strip() + "\n\n" if question.body.strip() else "") + "## 解答\n\n" + best.body.strip()
    )
    article = kb_authoring.create_article(
        actor,
        title=question.title,
        body=body,
        summary=plain_text(question.body or question.title, 120),
        tags=[t.name for t in question.tags],
        status="draft",
    )
    question.article_id = article.id
    db.session.flush()
    audit.record(
        actor,
        "qa.question.to_article",
        question,
        f"整理为知识文章《{article.title}》",
        {"article_id": article.id},
    )
    return article
