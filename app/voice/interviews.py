"""Online interviews (在线访谈): an admin schedules one with a guest and a moderator; members ask and
vote on questions beforehand (and during); in the live window the moderator picks questions and the
guest answers them in text (the page polls for new answers); afterwards the transcript is published
and becomes searchable. The server's clock decides every phase."""

# Services alike in shape to other domains' (load, check the rule, change, flush, audit, notify),
# kept apart: each checks its own rules and says so in its own words.

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import User
from app.core import audit
from app.core.errors import DomainError
from app.core.signals import news_requested, notification_requested
from app.core.transactions import insert_in_savepoint
from app.core.urls import site_path
from app.extensions import db
from app.voice.models import (
    TEXT_MAX,
    TITLE_MAX,
    Interview,
    InterviewQuestion,
    InterviewVote,
)
from app.voice.models import InterviewQuestionStatus as Q

#: Questions one member may ask in one interview.
QUESTIONS_PER_MEMBER = 5
LONGEST_LIVE = timedelta(hours=12)


class InterviewError(DomainError):
    pass


@dataclass
class InterviewData:
    title: str
    description: str
    guest_no: str
    guest_title: str
    moderator_no: str
    starts_at: datetime
    ends_at: datetime


def can_schedule(user: User) -> bool:
    return user.is_admin


def can_moderate(user: User, interview: Interview) -> bool:
    return user.is_admin or user.id == interview.moderator_id


def can_answer(user: User, interview: Interview) -> bool:
    return user.id in (interview.guest_id, interview.moderator_id) or user.is_admin


def get_interview(interview_id: int) -> Interview:
    interview = db.session.get(Interview, interview_id)
    if interview is None:
        raise NotFound()
    return interview


def get_question(interview: Interview, question_id: int) -> InterviewQuestion:
    question = db.session.get(InterviewQuestion, question_id)
    if question is None or question.interview_id != interview.id:
        raise NotFound()
    return question


def _account(employee_no: str, field: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.employee_no == (employee_no or "").strip()))
    if user is None:
        raise InterviewError(_("找不到这个工号。"), field=field)
    return user


def schedule_interview(actor: User, data: InterviewData) -> Interview:
    if not can_schedule(actor):
        raise Forbidden()
    title = (data.title or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise InterviewError(_("请填写访谈标题。"), field="title")
    if not data.starts_at < data.ends_at <= data.starts_at + LONGEST_LIVE:
        raise InterviewError(_("结束时间须晚于开始时间，且直播不超过 12 小时。"), field="ends_at")
    interview = Interview(
        title=title,
        description=(data.description or "").strip(),
        guest_id=_account(data.guest_no, "guest_no").id,
        guest_title=(data.guest_title or "").strip()[:100],
        moderator_id=_account(data.moderator_no, "moderator_no").id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        created_by_id=actor.id,
    )
    db.session.add(interview)
    db.session.flush()
    audit.record(actor, "interview.schedule", interview, title)
    return interview


def questions_for(interview: Interview, answered_only: bool = False) -> list[InterviewQuestion]:
    query = sa.select(InterviewQuestion).where(InterviewQuestion.interview_id == interview.id)
    if answered_only:
        query = query.where(InterviewQuestion.status == Q.ANSWERED).order_by(InterviewQuestion.answered_at)
    else:
        query = query.order_by(InterviewQuestion.votes.desc(), InterviewQuestion.id)
    return list(db.session.scalars(query))


def my_votes(interview: Interview, user: User) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(InterviewVote.question_id)
            .join(InterviewQuestion, InterviewQuestion.id == InterviewVote.question_id)
            .where(InterviewQuestion.interview_id == interview.id, InterviewVote.user_id == user.id)
        )
    )


def ask_question(user: User, interview: Interview, text: str, now: datetime) -> InterviewQuestion:
    if interview.phase(now) == "after":
        raise InterviewError(_("访谈已经结束，不能再提问。"), status=409)
    text = (text or "").strip()
    if not text or len(text) > 500:
        raise InterviewError(_("请填写问题（不超过 500 字）。"), field="text")
    asked = db.session.scalar(
        sa.select(sa.func.count()).where(
            InterviewQuestion.interview_id == interview.id, InterviewQuestion.author_id == user.id
        )
    )
    if asked >= QUESTIONS_PER_MEMBER:
        raise InterviewError(_("每人最多提 %(n)s 个问题。", n=QUESTIONS_PER_MEMBER), status=409)
    question = InterviewQuestion(interview_id=interview.id, author_id=user.id, text=text, created_at=now)
    db.session.add(question)
    db.session.flush()
    return question


def vote_question(user: User, question: InterviewQuestion, now: datetime) -> InterviewQuestion:
    interview = db.session.get(Interview, question.interview_id)
    if interview.phase(now) == "after" or question.status is Q.ANSWERED:
        raise InterviewError(_("这个问题已经不能投票了。"), status=409)
    if not insert_in_savepoint(InterviewVote(question_id=question.id, user_id=user.id)):
        raise InterviewError(_("您已经投过票了。"), status=409)
    db.session.execute(
        sa.update(InterviewQuestion)
        .where(InterviewQuestion.id == question.id)
        .values(votes=InterviewQuestion.votes + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(question)
    return question


def _live(interview: Interview, now: datetime) -> None:
    if interview.phase(now) != "live":
        raise InterviewError(_("只能在直播时间内操作。"), status=409)


def pick_question(user: User, question: InterviewQuestion, now: datetime) -> InterviewQuestion:
    interview = db.session.get(Interview, question.interview_id)
    if not can_moderate(user, interview):
        raise Forbidden()
    _live(interview, now)
    if question.status is not Q.WAITING:
        raise InterviewError(_("这个问题已经选过了。"), status=409)
    question.status = Q.PICKED
    audit.record(user, "interview.pick", interview, question.text[:200])
    db.session.flush()
    return question


def answer_question(user: User, question: InterviewQuestion, answer: str, now: datetime) -> InterviewQuestion:
    interview = db.session.get(Interview, question.interview_id)
    if not can_answer(user, interview):
        raise Forbidden()
    _live(interview, now)
    if question.status is not Q.PICKED:
        raise InterviewError(_("请先由主持人选中这个问题。"), status=409)
    answer = (answer or "").strip()
    if not answer or len(answer) > TEXT_MAX * 5:
        raise InterviewError(_("请填写回答。"), field="answer")
    question.status, question.answer, question.answered_at = Q.ANSWERED, answer, now
    audit.record(user, "interview.answer", interview, question.text[:200])
    db.session.flush()
    if question.author_id:
        notification_requested.send(
            "voice",
            user_ids=[question.author_id],
            title=_("您在访谈中的提问得到了回答"),
            body=interview.title,
            url=site_path("voice_interviews.detail", interview_id=interview.id),
            kind="interview.answered",
        )
    return question


def publish_transcript(user: User, interview: Interview, now: datetime) -> Interview:
    if not can_moderate(user, interview):
        raise Forbidden()
    if interview.phase(now) != "after":
        raise InterviewError(_("访谈结束后才能发布文字实录。"), status=409)
    if interview.transcript_published_at is not None:
        raise InterviewError(_("文字实录已经发布。"), status=409)
    interview.transcript_published_at = now
    audit.record(user, "interview.publish", interview, interview.title)
    db.session.flush()
    # Linked from the news: the portal writes the item (stored in Chinese, for every reader).
    news_requested.send(
        "voice",
        actor=user,
        title=f"在线访谈文字实录：{interview.title}",
        summary="：".join(part for part in (interview.guest_title, interview.description) if part),
        url=site_path("voice_interviews.detail", interview_id=interview.id),
    )
    return interview


def transcript_text(interview: Interview) -> str:
    return "\n\n".join(f"问：{q.text}\n答：{q.answer}" for q in questions_for(interview, answered_only=True))
