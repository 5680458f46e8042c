"""How Q&A questions become search documents: the question with its visible answers. Hidden
questions are not searchable; private ones only by those who may read them (trainers, admins
and the asker)."""

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.accounts.models import Role
from app.core.text import plain_text
from app.core.urls import site_path
from app.extensions import db
from app.qa.models import Answer, Question
from search_index import Adapter, SearchDocument, Visibility, register


@dataclass
class _Thread:
    id: int
    question: Question
    answers: list[Answer]


def question_document(thread: _Thread) -> SearchDocument:
    question = thread.question
    if question.is_hidden:
        visibility = Visibility.HIDDEN
    elif question.is_private:
        visibility = Visibility.RESTRICTED
    else:
        visibility = Visibility.PUBLIC
    texts = [question.body or ""] + [answer.body for answer in thread.answers]
    return SearchDocument(
        type="question",
        id=question.id,
        title=question.title,
        body=plain_text("\n\n".join(texts)),
        tags=[tag.name for tag in question.tags],
        url=site_path("qa.question", question_id=question.id),
        updated_at=question.updated_at,
        visibility=visibility,
        # Who may read a private question besides admins and the asker (qa.services.sees_private).
        roles=(Role.TRAINER.value,),
        owner_id=question.author_id,
    )


def _load(ids: list[int]) -> list[_Thread]:
    questions = db.session.scalars(sa.select(Question).where(Question.id.in_(ids))).unique().all()
    answers = defaultdict(list)
    for answer in db.session.scalars(
        sa.select(Answer).where(Answer.question_id.in_(ids), Answer.is_hidden.is_(False)).order_by(Answer.id)
    ).unique():
        answers[answer.question_id].append(answer)
    return [_Thread(q.id, q, answers[q.id]) for q in questions]


def register_search() -> None:
    """Make these rows searchable (called from the domain's ``init_app``)."""
    register(
        Adapter(
            type="question",
            label=_l("党务问答"),
            model=Question,
            to_document=question_document,
            load=_load,
            # An answer written, edited or hidden changes its question's document.
            touches={Answer: lambda answer: [answer.question_id]},
            order=40,
        )
    )
