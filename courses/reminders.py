"""Reminders of assignments (学习任务): members who have not finished one are reminded N days before
and after its due date. Idempotent: a row per (assignment, member, day) under a unique constraint,
inserted with ON CONFLICT DO NOTHING, and only the rows this run inserted are notified, so two beat
runs never remind anyone twice.
"""

import logging
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from app.accounts.models import User
from app.core import audit
from app.core.clock import localtoday, utcnow
from app.core.transactions import insert_or_skip
from app.extensions import db
from courses.assignments import BATCH, incomplete_course_exists, notify_members
from courses.models import AssignmentMember, AssignmentReminder, CourseAssignment

logger = logging.getLogger(__name__)

# --- reminders ------------------------------------------------------------------------------------


def _days(setting: str) -> list[int]:
    return sorted({int(part) for part in str(setting or "").split(",") if part.strip().isdigit()})


def _insert_ignoring_duplicates(rows: list[dict]) -> list[int]:
    """Insert reminder rows, skipping any (assignment, member, day) already there; the user ids inserted."""
    inserted: list[int] = []
    for start in range(0, len(rows), BATCH):
        statement = (
            insert_or_skip(AssignmentReminder, ["assignment_id", "user_id", "on_day"])
            .values(rows[start : start + BATCH])
            .returning(AssignmentReminder.user_id)
        )
        inserted.extend(db.session.scalars(statement))
    return inserted


def send_due_reminders(today: date | None = None) -> dict[str, int]:
    """Remind members who have not finished an assignment N days before and after its due date.
    Safe to run any number of times a day, from any number of processes."""
    today = today or localtoday()
    config = current_app.config
    offsets = {d: "before" for d in _days(config["COURSES_REMIND_DAYS_BEFORE"])}
    offsets.update({-d: "after" for d in _days(config["COURSES_REMIND_DAYS_AFTER"]) if d > 0})
    if not offsets:
        return {"assignments": 0, "reminded": 0}
    due_days = {today + timedelta(days=d): d for d in offsets}
    assignments = db.session.scalars(
        sa.select(CourseAssignment).where(CourseAssignment.due_on.in_(list(due_days)))
    ).all()
    reminded = 0
    now = utcnow()
    for assignment in assignments:
        days_to_due = due_days[assignment.due_on]
        pending = list(
            db.session.scalars(
                sa.select(AssignmentMember.user_id)
                .join(User, User.id == AssignmentMember.user_id)
                .where(
                    AssignmentMember.assignment_id == assignment.id,
                    User.is_active_account.is_(True),
                    incomplete_course_exists(assignment.id, AssignmentMember.user_id),
                )
            )
        )
        if not pending:
            continue
        fresh = _insert_ignoring_duplicates(
            [
                {
                    "assignment_id": assignment.id,
                    "user_id": uid,
                    "on_day": today,
                    "days_to_due": days_to_due,
                    "sent_at": now,
                }
                for uid in pending
            ]
        )
        if not fresh:
            continue
        titles = "、".join(f"《{c.title}》" for c in assignment.courses)
        if days_to_due > 0:
            title = f"学习任务还有 {days_to_due} 天截止"
            body = f"「{assignment.title}」（{titles}）将于 {assignment.due_on} 截止，请抓紧完成。"
        else:
            title = "学习任务已逾期"
            body = (
                f"「{assignment.title}」（{titles}）已于 {assignment.due_on} 截止，您尚未完成，请尽快补学。"
            )
        notify_members(sorted(fresh), title, body, "course.reminder")
        audit.record(
            None, "course.remind", assignment, f"提醒 {len(fresh)} 名成员（距截止 {days_to_due} 天）"
        )
        reminded += len(fresh)
    db.session.flush()
    logger.info("assignment reminders for %s: %s members", today, reminded)
    return {"assignments": len(assignments), "reminded": reminded}
