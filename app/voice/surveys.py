"""Surveys: building, targeting, answering once (anonymously or by name), results and export.

An anonymous response is written with no respondent, no time and a random id; the member's only
trace is the participation marker. Nothing in this module (logs and the audit log included)
writes down which response a member gave.

Nor does the database, physically: rows written in one transaction share PostgreSQL's ``xmin`` (and
SQLite's rowid follows insertion order). So an anonymous response is never written in the marker's
transaction, nor anything holding its answers: the answers go to the broker before the marker commits,
as a task held back a random delay (``SURVEY_ANONYMOUS_DELAY_SECONDS``, default 600) that writes them
in a transaction of its own, under a random key, into a ``WITHOUT ROWID`` table; a broker that refuses
them refuses the submission (see :func:`app.voice.answers.submit_response`).
Until then they are pending: results count them (markers less stored responses) but never show them.
"""

# Services alike in shape to other domains' (load, check the rule, change, flush, audit, notify),
# kept apart: each checks its own rules and says so in its own words.

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import Role, User
from app.core import audit
from app.core.clock import utcnow
from app.core.errors import DomainError
from app.core.signals import notification_requested
from app.core.urls import site_path
from app.extensions import db
from app.org.models import Branch
from app.org.services import can_manage_branch, can_view_member, scope_path
from app.voice.models import (
    OPTION_MAX,
    OPTIONS_MAX,
    QUESTIONS_MAX,
    QuestionKind,
    Survey,
    SurveyInvitee,
    SurveyParticipation,
    SurveyQuestion,
)

logger = logging.getLogger(__name__)

#: No survey runs longer than this (a window typed with a wrong year is refused).
LONGEST_WINDOW = timedelta(days=366)
INVITEES_MAX = 2000
#: How long before the close members who have not answered are reminded.
REMIND_BEFORE = timedelta(hours=24)


class SurveyError(DomainError):
    pass


@dataclass
class SurveyData:
    title: str
    description: str
    branch_id: int | None
    opens_at: datetime
    closes_at: datetime
    is_anonymous: bool = True
    min_group: int = 5
    invitee_nos: list[str] = field(default_factory=list)


@dataclass
class QuestionData:
    kind: str
    text: str
    section: str = ""
    options: list[str] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)
    is_required: bool = True


# --- who may do what -------------------------------------------------------------------------------


def can_create(user: User) -> bool:
    return user.is_authenticated and user.has_any_role(Role.COORDINATOR, Role.ADMIN)


def can_manage_survey(user: User, survey: Survey) -> bool:
    if user.is_admin:
        return True
    if not user.has_role(Role.COORDINATOR):
        return False
    if survey.created_by_id == user.id:
        return True
    return survey.branch is not None and can_manage_branch(user, survey.branch)


def managed_surveys_query(user: User):
    query = sa.select(Survey).order_by(Survey.id.desc())
    if user.is_admin:
        return query
    prefix = scope_path(user)
    if prefix is None:
        return query.where(sa.false())
    in_scope = sa.select(Branch.id).where(Branch.subtree_filter(prefix))
    return query.where(sa.or_(Survey.created_by_id == user.id, Survey.branch_id.in_(in_scope)))


def _targets_user(user: User):
    """A condition on :class:`Survey`: ``user`` is among those asked."""
    invited = sa.exists().where(SurveyInvitee.survey_id == Survey.id, SurveyInvitee.user_id == user.id)
    if user.branch is None:
        return invited
    return sa.or_(invited, Survey.branch_id.in_(Branch.ids_in_path(user.branch.path)))


def is_targeted(survey: Survey, user: User) -> bool:
    if survey.branch is not None and user.branch is not None and survey.branch.contains(user.branch):
        return True
    return db.session.get(SurveyInvitee, (survey.id, user.id)) is not None


def open_surveys_query(user: User, now: datetime):
    """Published surveys asking ``user`` whose window is open, newest close first."""
    return (
        sa.select(Survey)
        .where(
            Survey.is_published.is_(True), Survey.opens_at <= now, Survey.closes_at > now, _targets_user(user)
        )
        .order_by(Survey.closes_at)
    )


def answered_ids(user: User, survey_ids: list[int]) -> set[int]:
    if not survey_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(SurveyParticipation.survey_id).where(
                SurveyParticipation.user_id == user.id, SurveyParticipation.survey_id.in_(survey_ids)
            )
        )
    )


def get_survey_for(survey_id: int, user: User, manage: bool = False) -> Survey:
    """A survey ``user`` may answer (published, asking them) or, with ``manage``, run: 404 when it
    does not exist or is not theirs to see, 403 when they see it but may not manage it."""
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        raise NotFound()
    if can_manage_survey(user, survey):
        return survey
    if manage:
        if survey.is_published and is_targeted(survey, user):
            raise Forbidden()
        raise NotFound()
    if not survey.is_published or not is_targeted(survey, user):
        raise NotFound()
    return survey


# --- building ----------------------------------------------------------------------------------------


def _check_data(actor: User, data: SurveyData) -> tuple[Branch | None, list[User]]:
    title = (data.title or "").strip()
    if not title:
        raise SurveyError(_("请填写调查标题。"), field="title")
    data.title = title
    if data.closes_at <= data.opens_at:
        raise SurveyError(_("结束时间必须晚于开始时间。"), field="closes_at")
    if data.closes_at - data.opens_at > LONGEST_WINDOW:
        raise SurveyError(_("调查时间不能超过一年。"), field="closes_at")
    if not 1 <= data.min_group <= 100:
        raise SurveyError(_("最少展示人数须在 1 到 100 之间。"), field="min_group")
    branch = None
    if data.branch_id:
        branch = db.session.get(Branch, data.branch_id)
        if branch is None or not can_manage_branch(actor, branch):
            raise SurveyError(_("您不能向这个组织发起调查。"), field="branch_id")
    nos = sorted({no.strip() for no in data.invitee_nos if no.strip()})
    if len(nos) > INVITEES_MAX:
        raise SurveyError(_("指定人员不能超过 %(n)s 人。", n=INVITEES_MAX), field="invitees")
    invitees = list(db.session.scalars(sa.select(User).where(User.employee_no.in_(nos)))) if nos else []
    unknown = sorted(set(nos) - {u.employee_no for u in invitees if can_view_member(actor, u)})
    if unknown:
        raise SurveyError(
            _("找不到这些工号（或不在您的管理范围）：%(nos)s", nos="、".join(unknown[:10])), field="invitees"
        )
    if branch is None and not invitees:
        raise SurveyError(_("请选择调查范围，或指定参加人员。"), field="branch_id")
    return branch, invitees


def create_survey(actor: User, data: SurveyData) -> Survey:
    if not can_create(actor):
        raise Forbidden()
    branch, invitees = _check_data(actor, data)
    survey = Survey(
        title=data.title,
        description=(data.description or "").strip(),
        branch_id=branch.id if branch else None,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        is_anonymous=data.is_anonymous,
        min_group=data.min_group,
        created_by_id=actor.id,
    )
    db.session.add(survey)
    db.session.flush()
    db.session.add_all(SurveyInvitee(survey_id=survey.id, user_id=u.id) for u in invitees)
    audit.record(actor, "survey.create", survey, survey.title)
    db.session.flush()
    return survey


def update_survey(actor: User, survey: Survey, data: SurveyData) -> Survey:
    if survey.is_published:
        raise SurveyError(_("调查已发布，不能再修改设置。"), status=409)
    branch, invitees = _check_data(actor, data)
    survey.title, survey.description = data.title, (data.description or "").strip()
    survey.branch_id = branch.id if branch else None
    survey.opens_at, survey.closes_at = data.opens_at, data.closes_at
    survey.is_anonymous, survey.min_group = data.is_anonymous, data.min_group
    db.session.execute(sa.delete(SurveyInvitee).where(SurveyInvitee.survey_id == survey.id))
    db.session.add_all(SurveyInvitee(survey_id=survey.id, user_id=u.id) for u in invitees)
    audit.record(actor, "survey.update", survey, survey.title)
    db.session.flush()
    return survey


def invitee_nos(survey: Survey) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(User.employee_no)
            .join(SurveyInvitee, SurveyInvitee.user_id == User.id)
            .where(SurveyInvitee.survey_id == survey.id)
            .order_by(User.employee_no)
        )
    )


def _lines(values: list[str], what: str) -> list[str]:
    cleaned = [v.strip()[:OPTION_MAX] for v in values if v and v.strip()]
    if len(cleaned) > OPTIONS_MAX:
        raise SurveyError(_("%(what)s不能超过 %(n)s 项。", what=what, n=OPTIONS_MAX), field="options")
    if len(set(cleaned)) != len(cleaned):
        raise SurveyError(_("%(what)s不能重复。", what=what), field="options")
    return cleaned


def add_question(actor: User, survey: Survey, data: QuestionData) -> SurveyQuestion:
    if survey.is_published:
        raise SurveyError(_("调查已发布，不能再修改题目。"), status=409)
    if len(survey.questions) >= QUESTIONS_MAX:
        raise SurveyError(_("一份调查最多 %(n)s 道题。", n=QUESTIONS_MAX), status=409)
    try:
        kind = QuestionKind(data.kind)
    except ValueError:
        raise SurveyError(_("请选择题型。"), field="kind") from None
    text = (data.text or "").strip()
    if not text:
        raise SurveyError(_("请填写题目。"), field="text")
    options, rows = _lines(data.options, _("选项")), _lines(data.rows, _("矩阵行"))
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.MATRIX) and len(options) < 2:
        raise SurveyError(_("请至少填写两个选项。"), field="options")
    if kind is QuestionKind.MATRIX and not rows:
        raise SurveyError(_("矩阵题请至少填写一行。"), field="rows")
    question = SurveyQuestion(
        survey=survey,
        position=len(survey.questions) + 1,
        section=(data.section or "").strip()[:100],
        kind=kind,
        text=text[:500],
        options=options if kind not in (QuestionKind.RATING, QuestionKind.TEXT) else [],
        rows=rows if kind is QuestionKind.MATRIX else [],
        is_required=data.is_required,
    )
    db.session.add(question)
    audit.record(actor, "survey.question_add", survey, text[:200])
    db.session.flush()
    return question


def delete_question(actor: User, question: SurveyQuestion) -> None:
    survey = question.survey
    if survey.is_published:
        raise SurveyError(_("调查已发布，不能再修改题目。"), status=409)
    survey.questions.remove(question)
    for position, other in enumerate(survey.questions, start=1):
        other.position = position
    audit.record(actor, "survey.question_delete", survey, question.text[:200])
    db.session.flush()


def target_user_ids(survey: Survey):
    """A select of the ids of the active members asked."""
    asked = [User.id.in_(sa.select(SurveyInvitee.user_id).where(SurveyInvitee.survey_id == survey.id))]
    if survey.branch is not None:
        asked.append(
            User.branch_id.in_(sa.select(Branch.id).where(Branch.subtree_filter(survey.branch.path)))
        )
    return sa.select(User.id).where(sa.or_(*asked), User.is_active_account.is_(True))


def publish_survey(actor: User, survey: Survey, now: datetime) -> Survey:
    if survey.is_published:
        raise SurveyError(_("调查已经发布。"), status=409)
    if not survey.questions:
        raise SurveyError(_("请先添加题目。"))
    if survey.closes_at <= now:
        raise SurveyError(_("结束时间已过，请先修改时间。"))
    survey.is_published, survey.published_at = True, now
    audit.record(actor, "survey.publish", survey, survey.title)
    db.session.flush()
    notification_requested.send(
        "voice",
        user_ids=list(db.session.scalars(target_user_ids(survey))),
        title=_("请参加调查：%(title)s", title=survey.title),
        body=_("截止时间之前填写即可，可以先保存草稿。"),
        url=site_path("voice_surveys.answer", survey_id=survey.id),
        kind="survey.published",
    )
    return survey


# --- reminders ------------------------------------------------------------------------------------------


def remind_closing_surveys(now: datetime | None = None) -> int:
    """Remind, once per survey, the members who have not answered a survey closing within a day."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(Survey).where(
            Survey.is_published.is_(True),
            Survey.reminded_at.is_(None),
            Survey.opens_at <= now,
            Survey.closes_at > now,
            Survey.closes_at <= now + REMIND_BEFORE,
        )
    ).all()
    reminded = 0
    for survey in due:
        answered = sa.select(SurveyParticipation.user_id).where(SurveyParticipation.survey_id == survey.id)
        user_ids = list(db.session.scalars(target_user_ids(survey).where(User.id.not_in(answered))))
        survey.reminded_at = now
        notification_requested.send(
            "voice",
            user_ids=user_ids,
            title=_("调查即将截止：%(title)s", title=survey.title),
            body=_("这份调查 24 小时内截止，您还没有填写。"),
            url=site_path("voice_surveys.answer", survey_id=survey.id),
            kind="survey.reminder",
        )
        reminded += len(user_ids)
    db.session.flush()
    return reminded
