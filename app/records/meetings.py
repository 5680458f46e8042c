"""三会一课: coordinators record a branch's meeting and the members present; each is credited once.

A meeting is recorded for a branch in the coordinator's subtree with the members present (members
of that branch's subtree). Every one of them gets a ledger entry ``meeting:<id>`` of the meeting's
length at the 学时 conversion rate, appended in one batch. A wrong attendee is corrected the way
every entry is: a reversing entry on the member's record. The same meeting (branch, kind, day and
topic) cannot be recorded twice.
"""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.core import audit
from app.extensions import db
from app.org.models import Branch
from app.records.models import HoursEntry, Meeting
from app.records.services.base import RecordsError
from app.records.services.ledger import (
    EntryDraft,
    append_entries,
    check_day,
    hours_for_minutes,
    occurred_at_noon,
)
from app.records.services.xapi import record_statement

KINDS = {
    "assembly": "支部党员大会",
    "committee": "支委会",
    "group": "党小组会",
    "lesson": "党课",
    "theme_day": "主题党日",
}
MAX_MINUTES = 8 * 60
TITLE_MAX = 120


@dataclass
class MeetingData:
    kind: str
    title: str
    held_on: date | None
    minutes: int | None
    member_ids: list[int] = field(default_factory=list)


def record_meeting(branch: Branch, data: MeetingData, actor: User) -> Meeting:
    """Record ``branch``'s meeting and credit each member present; the caller commits. The caller
    has checked that ``actor`` manages ``branch``."""
    if data.kind not in KINDS:
        raise RecordsError(_("请选择会议类型"), 422, "kind")
    title = (data.title or "").strip()
    if not title:
        raise RecordsError(_("请填写会议主题"), 422, "title")
    if len(title) > TITLE_MAX:
        raise RecordsError(_("会议主题不能超过 %(max)s 个字", max=TITLE_MAX), 422, "title")
    if data.held_on is None:
        raise RecordsError(_("请填写会议日期"), 422, "held_on")
    check_day(data.held_on, "held_on")
    if data.minutes is None or not 1 <= data.minutes <= MAX_MINUTES:
        raise RecordsError(_("会议时长须在 1–%(max)s 分钟之间", max=MAX_MINUTES), 422, "minutes")
    member_ids = sorted(set(data.member_ids))
    if not member_ids:
        raise RecordsError(_("请至少选择一名出席成员"), 422, "members")
    present = db.session.scalars(
        sa.select(User.id)
        .join(Branch, Branch.id == User.branch_id)
        .where(
            User.id.in_(member_ids),
            User.is_active_account.is_(True),
            Branch.subtree_filter(branch.path),
        )
    ).all()
    if len(present) != len(member_ids):
        raise RecordsError(
            _(
                "有 %(number)s 名所选成员不属于「%(name)s」",
                number=len(member_ids) - len(present),
                name=branch.name,
            ),
            422,
            "members",
        )
    _refuse_more_than_a_day(member_ids, data)

    meeting = Meeting(
        branch_id=branch.id,
        branch_name=branch.name,
        kind=data.kind,
        title=title,
        held_on=data.held_on,
        minutes=data.minutes,
        attendees=len(member_ids),
        recorded_by_id=actor.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(meeting)
    except IntegrityError as exc:
        raise RecordsError(
            _(
                "「%(name)s」%(held_on)s 的%(kind)s「%(title)s」已经记录过",
                name=branch.name,
                held_on=data.held_on,
                kind=KINDS[data.kind],
                title=title,
            ),
            409,
        ) from exc
    label = f"{KINDS[data.kind]}：{title}"
    drafts = [
        EntryDraft(
            member_id,
            hours_for_minutes(data.minutes),
            "meeting",
            f"meeting:{meeting.id}",
            reason=label,
            occurred_at=occurred_at_noon(data.held_on),
            title=label,
        )
        for member_id in member_ids
    ]
    append_entries(drafts, actor)
    for member_id in member_ids:
        record_statement(
            member_id,
            "attended",
            "meeting",
            f"meeting:{meeting.id}",
            label,
            {"duration": f"PT{data.minutes}M"},
        )
    audit.record(
        actor,
        "hours.meeting",
        meeting,
        f"记录「{branch.name}」{label}（{data.held_on}，{data.minutes} 分钟），{len(member_ids)} 人出席",
    )
    return meeting


def _refuse_more_than_a_day(member_ids: list[int], data: MeetingData) -> None:
    """Nobody sits in meetings for more than MAX_MINUTES a day: many short meetings with different
    topics on one day must not add up to more hours than the day has."""
    cap = hours_for_minutes(MAX_MINUTES)
    this_one = hours_for_minutes(data.minutes)
    over = db.session.scalar(
        sa.select(sa.func.count()).select_from(
            sa.select(HoursEntry.user_id)
            .where(
                HoursEntry.user_id.in_(member_ids),
                HoursEntry.source_kind == "meeting",
                HoursEntry.occurred_on == occurred_at_noon(data.held_on),
            )
            .group_by(HoursEntry.user_id)
            .having(sa.func.sum(HoursEntry.hours) + this_one > cap)
            .subquery()
        )
    )
    if over:
        raise RecordsError(
            _(
                "有 %(over)s 名成员当天的会议已超过 %(number)s 小时，不能再计入学时；请核对日期",
                over=over,
                number=MAX_MINUTES // 60,
            ),
            422,
            "members",
        )


def meetings_query(prefix: str):
    """Meetings of the branches under ``prefix`` (a coordinator's scope path), newest first."""
    query = sa.select(Meeting).outerjoin(Branch, Branch.id == Meeting.branch_id)
    if prefix:
        query = query.where(Branch.subtree_filter(prefix))
    return query.order_by(Meeting.held_on.desc(), Meeting.id.desc())


def attendance(meeting: Meeting) -> list[tuple[User, HoursEntry]]:
    """The members credited for ``meeting`` with their entries (reversals show on their records)."""
    return list(
        db.session.execute(
            sa.select(User, HoursEntry)
            .join(HoursEntry, HoursEntry.user_id == User.id)
            .where(HoursEntry.source_kind == "meeting", HoursEntry.source_ref == f"meeting:{meeting.id}")
            .order_by(User.employee_no)
        )
        .tuples()
        .all()
    )
