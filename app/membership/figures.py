"""Per-branch figures of the 发展党员 work for a period, for other domains' reports (the assessment):
grouped SQL counts, never a query per person."""

from datetime import date

import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from app.membership.models import DevelopmentReminder, DevelopmentStep
from app.org.models import Branch

OVERDUE = "overdue"


def steps_on_time(prefix: str, starts_on: date, ends_on: date) -> dict[int, tuple[int, int]]:
    """Per 党支部 under ``prefix`` (where the people are now): ``(steps on time, steps due)``.

    Due: the steps recorded between the two days, and the deadlines that passed between them with
    the step still not recorded. On time: a recorded step for which no overdue alert was raised (the
    reminder task raises one when a deadline passes) and which broke no rule (no coordinator's
    override). Two grouped queries over the subtree."""
    in_scope = Branch.subtree_filter(prefix) if prefix else sa.true()
    alerted = (
        sa.select(DevelopmentReminder.id)
        .where(
            DevelopmentReminder.member_id == DevelopmentStep.member_id,
            DevelopmentReminder.key == DevelopmentStep.key,
            DevelopmentReminder.kind == OVERDUE,
        )
        .exists()
    )
    late = sa.case((sa.or_(alerted, DevelopmentStep.override_rules != ""), 1), else_=0)
    figures: dict[int, tuple[int, int]] = {}
    recorded = (
        sa.select(User.branch_id, sa.func.count(), sa.func.sum(late))
        .select_from(DevelopmentStep)
        .join(User, User.id == DevelopmentStep.member_id)
        .join(Branch, Branch.id == User.branch_id)
        .where(in_scope, DevelopmentStep.done_on >= starts_on, DevelopmentStep.done_on <= ends_on)
        .group_by(User.branch_id)
    )
    for branch_id, steps, late_steps in db.session.execute(recorded):
        figures[branch_id] = (steps - int(late_steps or 0), steps)
    done = (
        sa.select(DevelopmentStep.id)
        .where(
            DevelopmentStep.member_id == DevelopmentReminder.member_id,
            DevelopmentStep.key == DevelopmentReminder.key,
        )
        .exists()
    )
    missed = (
        sa.select(User.branch_id, sa.func.count())
        .select_from(DevelopmentReminder)
        .join(User, User.id == DevelopmentReminder.member_id)
        .join(Branch, Branch.id == User.branch_id)
        .where(
            in_scope,
            DevelopmentReminder.kind == OVERDUE,
            DevelopmentReminder.due_on >= starts_on,
            DevelopmentReminder.due_on <= ends_on,
            ~done,
        )
        .group_by(User.branch_id)
    )
    for branch_id, count in db.session.execute(missed):
        on_time, due = figures.get(branch_id, (0, 0))
        figures[branch_id] = (on_time, due + count)
    return figures
