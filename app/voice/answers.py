"""Answering a survey once: drafts, checking answers, the participation marker, and the anonymous
answers' separate, delayed write (see :mod:`app.voice.surveys` for why it is delayed)."""

import logging
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from app.accounts.models import User
from app.core.transactions import insert_or_skip, on_transaction_end
from app.core.urls import id_from
from app.extensions import db
from app.voice.models import (
    RATING_MAX,
    TEXT_MAX,
    QuestionKind,
    Survey,
    SurveyDraft,
    SurveyParticipation,
    SurveyQuestion,
    SurveyResponse,
    random_response_id,
)
from app.voice.surveys import SurveyError, is_targeted

logger = logging.getLogger(__name__)


# --- answering ---------------------------------------------------------------------------------------


def _index(value, size: int) -> int | None:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < size:
        return None
    return value


def _clean_one(question: SurveyQuestion, value):
    """The stored form of one answer, ``None`` for "not answered"; a malformed value is refused."""
    bad = SurveyError(_("第 %(n)s 题的回答无效。", n=question.position), field=f"q{question.id}")
    if value is None or value == "" or value == [] or value == {}:
        return None
    kind = question.kind
    if kind is QuestionKind.SINGLE:
        index = _index(value, len(question.options))
        if index is None:
            raise bad
        return index
    if kind is QuestionKind.MULTIPLE:
        if not isinstance(value, list) or len(value) > len(question.options):
            raise bad
        indexes = sorted({_index(v, len(question.options)) for v in value})
        if None in indexes:
            raise bad
        return indexes
    if kind is QuestionKind.RATING:
        index = _index(value, RATING_MAX + 1)
        if not index:
            raise bad
        return index
    if kind is QuestionKind.TEXT:
        if not isinstance(value, str):
            raise bad
        if len(value) > TEXT_MAX:
            raise SurveyError(_("第 %(n)s 题的回答太长了。", n=question.position), field=f"q{question.id}")
        return value.strip() or None
    if not isinstance(value, dict) or len(value) > len(question.rows):
        raise bad
    cells = {}
    for row, column in value.items():
        row_index, column_index = _index(row, len(question.rows)), _index(column, len(question.options))
        if row_index is None or column_index is None:
            raise bad
        cells[str(row_index)] = column_index
    return cells or None


def clean_answers(survey: Survey, raw, complete: bool) -> dict:
    """``raw`` (``{question id: value}``, from a form or JSON) checked against the questions; with
    ``complete``, every required question must be answered (a matrix: every row)."""
    if not isinstance(raw, dict):
        raise SurveyError(_("answers 必须是以题目编号为键的对象。"), field="answers")
    by_id = {q.id: q for q in survey.questions}
    answers = {}
    for key, value in raw.items():
        question = by_id.get(id_from(key) or 0)
        if question is None:
            raise SurveyError(_("没有这道题：%(key)s", key=str(key)[:20]), field="answers")
        cleaned = _clean_one(question, value)
        if cleaned is not None:
            answers[str(question.id)] = cleaned
    if complete:
        for question in survey.questions:
            given = answers.get(str(question.id))
            missing = given is None or (
                question.kind is QuestionKind.MATRIX and len(given) < len(question.rows)
            )
            if question.is_required and missing:
                raise SurveyError(_("第 %(n)s 题是必答题。", n=question.position), field=f"q{question.id}")
    return answers


def _check_answerable(user: User, survey: Survey, now: datetime) -> None:
    if not survey.is_published or not is_targeted(survey, user):
        raise NotFound()
    if not survey.is_open(now):
        raise SurveyError(_("调查已结束。") if survey.is_closed(now) else _("调查还没有开始。"), status=409)
    if has_answered(survey, user):
        raise SurveyError(_("您已经提交过这份调查，每人只能提交一次。"), status=409)


def has_answered(survey: Survey, user: User) -> bool:
    return db.session.get(SurveyParticipation, (survey.id, user.id)) is not None


def draft_for(survey: Survey, user: User) -> dict:
    draft = db.session.get(SurveyDraft, (survey.id, user.id))
    return draft.answers if draft else {}


def save_draft(user: User, survey: Survey, raw, now: datetime) -> SurveyDraft:
    _check_answerable(user, survey, now)
    answers = clean_answers(survey, raw, complete=False)
    draft = db.session.get(SurveyDraft, (survey.id, user.id))
    if draft is None:
        draft = SurveyDraft(survey_id=survey.id, user_id=user.id)
        db.session.add(draft)
    draft.answers, draft.saved_at = answers, now
    db.session.flush()
    return draft


def submit_response(user: User, survey: Survey, raw, now: datetime) -> None:
    """Store the response once. Returns nothing: not even the caller learns which row is whose.

    The marker is one INSERT that skips a clash (no savepoint: a second request of the same member
    gets a 409). A named response is written with it. An anonymous one is never written in the
    marker's transaction, nor in any row that transaction writes: it is handed to the broker *before*
    the caller commits, as a task held back a random delay (``SURVEY_ANONYMOUS_DELAY_SECONDS``) that
    writes it under a random key in a transaction of its own. Should the broker refuse it, the
    submission is refused (503) and the caller's rollback takes the marker back: nothing is lost and
    nothing links the answer to the member. (Queued but the marker's commit then failing leaves one
    answer without a marker: counted once more, never linked.)"""
    _check_answerable(user, survey, now)
    answers = clean_answers(survey, raw, complete=True)
    marker = (
        insert_or_skip(SurveyParticipation, ["survey_id", "user_id"])
        .values(survey_id=survey.id, user_id=user.id, answered_at=now)
        .returning(SurveyParticipation.user_id)
    )
    if db.session.execute(marker).scalar() is None:  # a second request of the same member got there first
        raise SurveyError(_("您已经提交过这份调查，每人只能提交一次。"), status=409)
    if survey.is_anonymous:
        _hand_over(survey.id, answers)
    else:
        db.session.add(SurveyResponse(survey_id=survey.id, respondent_id=user.id, answers=answers))
    db.session.execute(
        sa.delete(SurveyDraft).where(SurveyDraft.survey_id == survey.id, SurveyDraft.user_id == user.id)
    )
    db.session.flush()
    logger.info("a member answered survey %s", survey.id)


def _hand_over(survey_id: int, answers: dict) -> None:
    """Queue the anonymous answer's write, held back a random delay. The message carries the survey,
    a fresh random key and the answers: nothing of the member."""
    from app.voice.tasks import store_anonymous_response

    longest = max(int(current_app.config.get("SURVEY_ANONYMOUS_DELAY_SECONDS", 600)), 0)
    message = (survey_id, random_response_id(), answers)
    countdown = secrets.randbelow(longest + 1)
    if current_app.config.get("CELERY_TASK_ALWAYS_EAGER"):
        # No broker: an eager task runs at once, in this very transaction. Run it after the commit.
        on_transaction_end(
            on_commit=lambda: store_anonymous_response.apply_async(message, countdown=countdown)
        )
        return
    try:
        store_anonymous_response.apply_async(message, countdown=countdown)
    except Exception as exc:
        logger.warning("could not queue an anonymous answer; the submission is refused", exc_info=True)
        raise SurveyError(
            _("暂时无法提交调查，请稍后再试（您的回答未被记录，可以再次提交）。"), status=503
        ) from exc


def store_anonymous_answers(survey_id: int, response_id: str, answers: dict) -> bool:
    """The delayed task's half: write one anonymous response in a transaction that writes nothing else.

    ``response_id`` (random, chosen at submission, stored nowhere else) makes a redelivered task
    harmless. Returns whether a row was written."""
    survey = db.session.get(Survey, survey_id)
    if survey is None or not survey.is_anonymous or not isinstance(answers, dict):
        return False
    row = (
        insert_or_skip(SurveyResponse, ["id"])
        .values(id=response_id, survey_id=survey_id, answers=answers)
        .returning(SurveyResponse.id)
    )
    return db.session.execute(row).scalar() is not None


def pending_count(survey: Survey) -> int:
    """Anonymous answers submitted but not yet written (markers less stored responses)."""
    if not survey.is_anonymous:
        return 0
    markers = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(SurveyParticipation)
        .where(SurveyParticipation.survey_id == survey.id)
    )
    stored = db.session.scalar(
        sa.select(sa.func.count()).select_from(SurveyResponse).where(SurveyResponse.survey_id == survey.id)
    )
    return max(markers - stored, 0)
