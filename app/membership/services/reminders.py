"""Reminders before a step's deadline (to whoever is responsible) and alerts to the coordinators of
the subtree once it has passed; each sent once per person, step and kind."""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.accounts.models import User
from app.core.clock import localtoday
from app.core.signals import notification_requested
from app.core.urls import site_path
from app.extensions import db
from app.membership.models import DevelopmentReminder
from app.membership.services.access import coordinators_over, secretaries_of
from app.membership.services.development import (
    Timeline,
    TimelineRow,
    contacts_of,
    pipeline_members_query,
    timelines_for,
)

BATCH = 500


class _Recipients:
    """Secretaries and coordinators by branch, looked up once per pass."""

    def __init__(self):
        self.secretaries: dict[int | None, list[int]] = {}
        self.coordinators: dict[int | None, list[int]] = {}

    def secretaries_of(self, member: User) -> list[int]:
        if member.branch_id not in self.secretaries:
            self.secretaries[member.branch_id] = secretaries_of(member.branch_id)
        return self.secretaries[member.branch_id]

    def coordinators_over(self, member: User) -> list[int]:
        if member.branch_id not in self.coordinators:
            self.coordinators[member.branch_id] = coordinators_over(member.branch)
        return self.coordinators[member.branch_id]

    def responsible_for(self, member: User, row: TimelineRow) -> list[int]:
        if row.step.responsible == "contact":
            contacts = [c.id for c in contacts_of([member.id]).get(member.id, [])]
            return contacts or self.secretaries_of(member)
        if row.step.responsible == "member":
            return [member.id, *self.secretaries_of(member)]
        if row.step.responsible == "coordinator":
            return self.coordinators_over(member)
        return self.secretaries_of(member)


def _already_sent(member_ids: list[int]) -> set[tuple[int, str, str]]:
    rows = db.session.execute(
        sa.select(DevelopmentReminder.member_id, DevelopmentReminder.key, DevelopmentReminder.kind).where(
            DevelopmentReminder.member_id.in_(member_ids)
        )
    )
    return {tuple(r) for r in rows}


def _send(timeline: Timeline, row: TimelineRow, kind: str, recipients: _Recipients) -> None:
    member = timeline.member
    url = site_path("membership.development", member_id=member.id)
    if kind == "overdue":
        user_ids = recipients.coordinators_over(member)
        title = _("发展党员逾期：%(name)s「%(step)s」", name=member.name, step=str(row.step.label))
    else:
        user_ids = recipients.responsible_for(member, row)
        title = _("发展党员提醒：%(name)s「%(step)s」", name=member.name, step=str(row.step.label))
    body = _("期限 %(day)s（%(rule)s）", day=row.due_on.isoformat(), rule=row.rule)
    notification_requested.send(
        "membership", user_ids=user_ids, title=title, body=body, url=url, kind=f"membership.{kind}"
    )
    db.session.add(DevelopmentReminder(member_id=member.id, key=row.step.key, kind=kind, due_on=row.due_on))


def send_reminders() -> int:
    """One pass over everyone in the pipeline; returns how many reminders and alerts were sent."""
    today = localtoday()
    ahead = timedelta(days=int(current_app.config.get("MEMBERSHIP_REMIND_DAYS", 7)))
    sent, last_id, recipients = 0, 0, _Recipients()
    while True:
        members = list(
            db.session.scalars(pipeline_members_query(User.id > last_id).order_by(User.id).limit(BATCH))
        )
        if not members:
            return sent
        last_id = members[-1].id
        done = _already_sent([m.id for m in members])
        for timeline in timelines_for(members):
            for row in timeline.rows:
                if row.done is not None or row.due_on is None:
                    continue
                kind = (
                    "overdue" if row.due_on < today else "reminder" if row.due_on - today <= ahead else None
                )
                if kind and (timeline.member.id, row.step.key, kind) not in done:
                    _send(timeline, row, kind, recipients)
                    sent += 1
        db.session.flush()
