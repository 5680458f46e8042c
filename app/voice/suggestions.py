"""Suggestions (合理建议 / 员工直通车): submitted to a branch, the committee or a department, handled
through 已提交 → 受理 → 办理中 → 已答复 → 已关闭 (or 不予受理), with daily reminders to handlers
while one waits too long, and a rating of the reply by its author.

An anonymous suggestion keeps its author (to notify them and let them rate the reply), but no page,
API answer or notification shows the author to a handler.
"""

# Services alike in shape to other domains' (load, check the rule, change, flush, audit, notify),
# kept apart: each checks its own rules and says so in its own words.

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import flag_modified
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import BranchPosition, Role, User
from app.core import audit
from app.core.clock import LOCAL_TZ, utcnow
from app.core.errors import DomainError
from app.core.signals import notification_requested
from app.core.urls import id_from, site_path
from app.extensions import db
from app.org.models import Branch
from app.org.services import can_manage_branch, scope_path
from app.voice.models import (
    BODY_MAX,
    OPEN_STATES,
    SUGGESTION_STATUS_LABELS,
    TEXT_MAX,
    TITLE_MAX,
    Suggestion,
    SuggestionEvent,
    SuggestionStatus,
    SuggestionTarget,
)

S = SuggestionStatus
HANDLER_POSITIONS = (BranchPosition.SECRETARY, BranchPosition.DEPUTY_SECRETARY)

#: action → (the states it may start from, the state it leads to).
TRANSITIONS = {
    "accept": ((S.SUBMITTED,), S.ACCEPTED),
    "start": ((S.ACCEPTED,), S.IN_PROGRESS),
    "reply": ((S.SUBMITTED, S.ACCEPTED, S.IN_PROGRESS), S.REPLIED),
    "reject": ((S.SUBMITTED,), S.REJECTED),
    "close": ((S.REPLIED,), S.CLOSED),
}
#: States in which the public may read a public suggestion: it has its answer.
PUBLIC_STATES = (S.REPLIED, S.CLOSED)


class SuggestionError(DomainError):
    pass


@dataclass
class SuggestionData:
    title: str
    body: str
    #: "branch", "committee", or a department's (any branch's) id.
    to: str | int
    is_anonymous: bool = False
    is_public: bool = False


# --- who may do what -------------------------------------------------------------------------------


def can_handle(user: User, suggestion: Suggestion) -> bool:
    if user.is_admin:
        return True
    if user.has_role(Role.COORDINATOR) and can_manage_branch(user, suggestion.branch):
        return True
    return user.branch_id == suggestion.branch_id and user.position in HANDLER_POSITIONS


def can_view(user: User, suggestion: Suggestion) -> bool:
    if suggestion.author_id == user.id or can_handle(user, suggestion):
        return True
    return (
        suggestion.is_public
        and suggestion.status in PUBLIC_STATES
        and user.branch is not None
        and suggestion.branch.contains(user.branch)
    )


def get_suggestion_for(suggestion_id: int, user: User) -> Suggestion:
    """404 for a suggestion that does not exist or that ``user`` may not read (its existence is
    nobody else's business)."""
    suggestion = db.session.get(Suggestion, suggestion_id)
    if suggestion is None or not can_view(user, suggestion):
        raise NotFound()
    return suggestion


def shows_author(user: User, suggestion: Suggestion) -> bool:
    return suggestion.author_id == user.id or not suggestion.is_anonymous


def is_handler(user: User) -> bool:
    return user.is_admin or user.has_role(Role.COORDINATOR) or user.position in HANDLER_POSITIONS


def handler_ids(suggestion: Suggestion) -> list[int]:
    """Who handles it: its accepting handler; before that the branch's secretaries and the
    coordinators over it (admins when there is nobody else)."""
    if suggestion.handler_id:
        return [suggestion.handler_id]
    branch = suggestion.branch
    secretaries = sa.and_(User.branch_id == branch.id, User.position.in_(HANDLER_POSITIONS))
    coordinators = sa.and_(
        User.branch_id.in_(branch.ancestor_ids),
        User.role_rows.any(role=Role.COORDINATOR),
    )
    active = User.is_active_account.is_(True)
    ids = list(db.session.scalars(sa.select(User.id).where(active, sa.or_(secretaries, coordinators))))
    if not ids:
        ids = list(db.session.scalars(sa.select(User.id).where(active, User.role_rows.any(role=Role.ADMIN))))
    return [i for i in ids if i != suggestion.author_id]


def handled_query(user: User):
    """Suggestions ``user`` handles, oldest waiting first."""
    query = sa.select(Suggestion).order_by(Suggestion.waiting_since)
    if user.is_admin:
        return query
    handled = []
    prefix = scope_path(user)
    if prefix is not None:
        handled.append(Suggestion.branch_id.in_(sa.select(Branch.id).where(Branch.subtree_filter(prefix))))
    if user.position in HANDLER_POSITIONS and user.branch_id:
        handled.append(Suggestion.branch_id == user.branch_id)
    return query.where(sa.or_(*handled)) if handled else query.where(sa.false())


def mine_query(user: User):
    return sa.select(Suggestion).where(Suggestion.author_id == user.id).order_by(Suggestion.id.desc())


def public_query(user: User):
    """Public suggestions with their replies, addressed to a branch over ``user``'s own."""
    if user.branch is None:
        return sa.select(Suggestion).where(sa.false())
    return (
        sa.select(Suggestion)
        .where(
            Suggestion.is_public.is_(True),
            Suggestion.status.in_(PUBLIC_STATES),
            Suggestion.branch_id.in_(user.branch.ancestor_ids),
        )
        .order_by(Suggestion.replied_at.desc())
    )


# --- the workflow ---------------------------------------------------------------------------------


def _target_branch(author: User, to) -> tuple[SuggestionTarget, Branch]:
    if to == "branch":
        if author.branch is None:
            raise SuggestionError(_("您还没有所在支部，请选择其他受理单位。"), field="to")
        return SuggestionTarget.BRANCH, author.branch
    if to == "committee":
        root_id = author.branch.ancestor_ids[0] if author.branch is not None else None
        root = db.session.get(Branch, root_id) if root_id else None
        if root is None:
            root = db.session.scalars(
                sa.select(Branch).where(Branch.parent_id.is_(None)).order_by(Branch.id)
            ).first()
        if root is None:
            raise SuggestionError(_("还没有设置公司党委。"), field="to")
        return SuggestionTarget.COMMITTEE, root
    department = db.session.get(Branch, id_from(to) or 0) if id_from(to) else None
    if department is None:
        raise SuggestionError(_("请选择受理单位：所在支部、公司党委或一个部门。"), field="to")
    return SuggestionTarget.DEPARTMENT, department


def _notify(user_ids: list[int], title: str, suggestion: Suggestion, kind: str) -> None:
    notification_requested.send(
        "voice",
        user_ids=user_ids,
        title=title,
        body=suggestion.title,
        url=site_path("voice_suggestions.detail", suggestion_id=suggestion.id),
        kind=kind,
    )


def submit_suggestion(author: User, data: SuggestionData, now: datetime) -> Suggestion:
    title, body = (data.title or "").strip(), (data.body or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise SuggestionError(_("请填写标题（不超过 %(n)s 字）。", n=TITLE_MAX), field="title")
    if not body or len(body) > BODY_MAX:
        raise SuggestionError(_("请填写建议内容（不超过 %(n)s 字）。", n=BODY_MAX), field="body")
    target, branch = _target_branch(author, data.to)
    suggestion = Suggestion(
        title=title,
        body=body,
        author_id=author.id,
        is_anonymous=bool(data.is_anonymous),
        is_public=bool(data.is_public),
        target=target,
        branch_id=branch.id,
        branch=branch,
        status=S.SUBMITTED,
        waiting_since=now,
    )
    db.session.add(suggestion)
    db.session.flush()
    suggestion.events.append(SuggestionEvent(actor_id=author.id, status=S.SUBMITTED, created_at=now))
    audit.record(author, "suggestion.submit", suggestion, title)
    db.session.flush()
    _notify(handler_ids(suggestion), _("收到一条新的建议"), suggestion, "suggestion.submitted")
    return suggestion


def advance_suggestion(
    actor: User, suggestion: Suggestion, action: str, note: str, now: datetime
) -> Suggestion:
    """One step of the workflow by a handler (or the author closing it after the reply)."""
    if action not in TRANSITIONS:
        raise NotFound()
    allowed = can_handle(actor, suggestion) or (action == "close" and suggestion.author_id == actor.id)
    if not allowed:
        raise Forbidden()
    sources, target = TRANSITIONS[action]
    note = (note or "").strip()
    if len(note) > (BODY_MAX if action == "reply" else TEXT_MAX):
        raise SuggestionError(_("内容太长了。"), field="note")
    if action in ("reply", "reject") and not note:
        message = _("请填写答复内容。") if action == "reply" else _("请填写不予受理的理由。")
        raise SuggestionError(message, field="note")
    values = {"status": target, "waiting_since": now, "reminded_on": None, "updated_at": now}
    if action in ("accept", "reply") and suggestion.handler_id is None:
        values["handler_id"] = actor.id
    if action == "reply":
        values.update(reply=note, replied_at=now)
    if action == "reject":
        values["reject_reason"] = note[:500]
    # One conditional UPDATE: of two handlers pressing at once, the second finds the state moved on.
    moved = db.session.execute(
        sa.update(Suggestion)
        .where(Suggestion.id == suggestion.id, Suggestion.status.in_(sources))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        db.session.refresh(suggestion)
        raise SuggestionError(
            _("这条建议现在是「%(status)s」，不能这样操作。", status=suggestion.status_label), status=409
        )
    db.session.refresh(suggestion)
    # The guarded UPDATE bypassed the unit of work; a flushed change lets the search index follow.
    flag_modified(suggestion, "updated_at")
    db.session.add(
        SuggestionEvent(
            suggestion_id=suggestion.id, actor_id=actor.id, status=target, note=note, created_at=now
        )
    )
    audit.record(actor, f"suggestion.{action}", suggestion, note[:200])
    db.session.flush()
    if suggestion.author_id and suggestion.author_id != actor.id:
        title = _("您的建议状态更新为「%(status)s」", status=SUGGESTION_STATUS_LABELS[target])
        _notify([suggestion.author_id], title, suggestion, f"suggestion.{action}")
    return suggestion


def rate_suggestion(author: User, suggestion: Suggestion, rating, comment: str = "") -> Suggestion:
    if suggestion.author_id != author.id:
        raise Forbidden()
    if suggestion.status not in PUBLIC_STATES:
        raise SuggestionError(_("答复之后才能评价。"), status=409)
    if isinstance(rating, str) and rating.strip().isdigit():
        rating = int(rating.strip())
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise SuggestionError(_("评价请选择 1 到 5 星。"), field="rating")
    moved = db.session.execute(
        sa.update(Suggestion)
        .where(Suggestion.id == suggestion.id, Suggestion.rating.is_(None))
        .values(rating=rating, rating_comment=(comment or "").strip()[:500])
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        raise SuggestionError(_("您已经评价过了。"), status=409)
    db.session.refresh(suggestion)
    audit.record(author, "suggestion.rate", suggestion, str(rating))
    db.session.flush()
    if suggestion.handler_id:
        _notify(
            [suggestion.handler_id],
            _("建议的答复收到了评价：%(n)s 星", n=rating),
            suggestion,
            "suggestion.rated",
        )
    return suggestion


# --- reminders and figures -------------------------------------------------------------------------


def remind_waiting_suggestions(now: datetime | None = None) -> int:
    """Remind the handlers of every suggestion waiting longer than SUGGESTION_REMIND_DAYS, at most
    once per suggestion and local day however often this runs. Returns the reminders sent."""
    now = now or utcnow()
    today = now.astimezone(LOCAL_TZ).date()
    limit = timedelta(days=current_app.config.get("SUGGESTION_REMIND_DAYS", 3))
    waiting = db.session.scalars(
        sa.select(Suggestion).where(
            Suggestion.status.in_(OPEN_STATES),
            Suggestion.waiting_since <= now - limit,
            sa.or_(Suggestion.reminded_on.is_(None), Suggestion.reminded_on < today),
        )
    ).all()
    sent = 0
    for suggestion in waiting:
        moved = db.session.execute(
            sa.update(Suggestion)
            .where(
                Suggestion.id == suggestion.id,
                sa.or_(Suggestion.reminded_on.is_(None), Suggestion.reminded_on < today),
            )
            .values(reminded_on=today)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not moved:  # another run reminded it today
            continue
        days = (now - suggestion.waiting_since).days
        ids = handler_ids(suggestion)
        _notify(
            ids, _("有一条建议已等待 %(days)s 天，请尽快办理", days=days), suggestion, "suggestion.reminder"
        )
        sent += len(ids)
    db.session.flush()
    return sent


def suggestion_figures(user: User) -> dict:
    """For a coordinator: counts by state, the average days to a reply, open items by handler."""
    scoped = handled_query(user).order_by(None).subquery()
    counts = dict(
        db.session.execute(sa.select(scoped.c.status, sa.func.count()).group_by(scoped.c.status)).all()
    )
    replied = db.session.execute(
        sa.select(scoped.c.created_at, scoped.c.replied_at).where(scoped.c.replied_at.is_not(None))
    ).all()
    days = [(r.replied_at - r.created_at).total_seconds() / 86400 for r in replied]
    by_handler = db.session.execute(
        sa.select(User.name, sa.func.count())
        .select_from(scoped)
        .outerjoin(User, User.id == scoped.c.handler_id)
        .where(scoped.c.status.in_([s.value for s in OPEN_STATES]))
        .group_by(User.name)
        .order_by(sa.func.count().desc())
    ).all()
    return {
        "counts": [
            (label, counts.get(status.value, counts.get(status, 0)))
            for status, label in SUGGESTION_STATUS_LABELS.items()
        ],
        "average_days": round(sum(days) / len(days), 1) if days else None,
        "open_by_handler": [(name or _("待受理"), n) for name, n in by_handler],
    }
