"""Crediting a meeting's attendance when the organisation-life domain says so.

Records knows nothing of meetings beyond this: who was present, for how long, on which day, under
which ledger source (``meeting:<id>``). Each member is credited once (the ledger refuses a second
entry of the same source), in one batch, with an xAPI "attended" statement for each new entry.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts.models import User
from app.extensions import db
from app.records.models import HoursEntry
from app.records.services.base import HoursPolicy, RecordsError
from app.records.services.ledger import EntryDraft, append_entries, hours_for_minutes, occurred_at_noon
from app.records.services.xapi import record_statement

#: Nobody sits in meetings longer than this on one day: more is a wrong date, not more hours.
MAX_MEETING_MINUTES_A_DAY = 8 * 60


@dataclass(frozen=True)
class MeetingCredit:
    source_ref: str  # meeting:<id>
    label: str  # what the member's record shows: "支委会：学习党章"
    held_on: date
    minutes: int
    minutes_per_unit: int | None = None  # None: HOURS_MINUTES_PER_UNIT


def meeting_hours(credit: MeetingCredit):
    policy = HoursPolicy.from_config()
    if credit.minutes_per_unit:
        policy = HoursPolicy(credit.minutes_per_unit, policy.target_member, policy.target_cadre)
    return hours_for_minutes(credit.minutes, policy)


def check_meeting_day(member_ids: list[int], credit: MeetingCredit) -> None:
    """Refuse when crediting would put a member above MAX_MEETING_MINUTES_A_DAY of meetings that day."""
    cap = hours_for_minutes(MAX_MEETING_MINUTES_A_DAY)
    this_one = meeting_hours(credit)
    over = db.session.scalar(
        sa.select(sa.func.count()).select_from(
            sa.select(HoursEntry.user_id)
            .where(
                HoursEntry.user_id.in_(member_ids),
                HoursEntry.source_kind == "meeting",
                HoursEntry.source_ref != credit.source_ref,
                HoursEntry.occurred_on == occurred_at_noon(credit.held_on),
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
                number=MAX_MEETING_MINUTES_A_DAY // 60,
            ),
            422,
            "members",
        )


def credit_meeting(member_ids: list[int], credit: MeetingCredit, actor: User | None) -> int:
    """Credit each of ``member_ids`` for the meeting once; returns how many were newly credited.
    The caller commits."""
    member_ids = sorted(set(member_ids))
    if not member_ids:
        return 0
    check_meeting_day(member_ids, credit)
    hours = meeting_hours(credit)
    drafts = [
        EntryDraft(
            member_id,
            hours,
            "meeting",
            credit.source_ref,
            reason=credit.label,
            occurred_at=occurred_at_noon(credit.held_on),
            title=credit.label,
        )
        for member_id in member_ids
    ]
    appended = [e for e in append_entries(drafts, actor) if e is not None]
    for entry in appended:
        record_statement(
            entry.user_id,
            "attended",
            "meeting",
            credit.source_ref,
            credit.label,
            {"duration": credit.minutes * 60},
            key=f"hours-entry/{entry.id}",
            at=entry.occurred_on,
        )
    return len(appended)


def meeting_entries(source_ref: str) -> list[tuple[User, HoursEntry]]:
    """The members credited under ``source_ref`` with their entries (reversals show on their records)."""
    return list(
        db.session.execute(
            sa.select(User, HoursEntry)
            .join(HoursEntry, HoursEntry.user_id == User.id)
            .where(HoursEntry.source_kind == "meeting", HoursEntry.source_ref == source_ref)
            .order_by(User.employee_no)
        )
        .tuples()
        .all()
    )
