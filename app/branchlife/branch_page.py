"""网络支部: a page for each branch that its members (and those who run it) see — upcoming meetings,
recent minutes, the branch's notices, its members and the branch's learning progress this year."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import abort, render_template
from flask_login import current_user

from app.accounts.models import User
from app.branchlife import kinds, services
from app.branchlife.models import Meeting
from app.branchlife.reviews import services as reviews
from app.branchlife.reviews.models import PHASE_LABELS, ReviewRound
from app.core.clock import localtoday, utcnow
from app.core.permissions import login_required
from app.core.urls import id_from
from app.extensions import db
from app.org.models import Branch, BranchKind
from app.portal.models import Notice
from app.portal.services import visible_notices_query
from app.records import services as records


def party_age(joined: date | None, today: date) -> int | None:
    if joined is None:
        return None
    return today.year - joined.year - ((today.month, today.day) < (joined.month, joined.day))


def _branch_for(branch_id) -> Branch:
    branch = db.session.get(Branch, id_from(branch_id)) if id_from(branch_id) else None
    if branch is None:
        abort(404)
    member_of = current_user.branch is not None and branch.contains(current_user.branch)
    if not (member_of or services.can_plan(current_user, branch)):
        abort(403)
    return branch


def _progress(members: list[User], year: int) -> dict:
    hours = records.year_hours_of([m.id for m in members], year)
    targets = {m.id: records.target_for(m) for m in members}
    met = sum(1 for m in members if hours.get(m.id, Decimal(0)) >= targets[m.id])
    total = sum(hours.values(), Decimal(0))
    return {
        "hours": hours,
        "targets": targets,
        "met": met,
        "average": (total / len(members)).quantize(Decimal("0.01")) if members else Decimal(0),
    }


def _members(branch: Branch) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Branch, Branch.id == User.branch_id)
            .where(Branch.subtree_filter(branch.path), User.is_active_account.is_(True))
            .order_by(User.position.is_(None), User.position, User.employee_no)
            .limit(500)
        )
    )


def _meetings(branch: Branch) -> tuple[list[Meeting], list[Meeting]]:
    """The branch's coming meetings and its latest finalised ones."""
    in_branch = Meeting.branch_id == branch.id
    upcoming = db.session.scalars(
        sa.select(Meeting)
        .where(in_branch, Meeting.status == "published", Meeting.ends_at >= utcnow())
        .order_by(Meeting.starts_at)
        .limit(10)
    ).all()
    minutes = db.session.scalars(
        sa.select(Meeting)
        .where(in_branch, Meeting.status == "finalised")
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
        .limit(5)
    ).all()
    return upcoming, minutes


def _review(branch: Branch, year: int) -> dict:
    """The branch's 民主评议 for the page: this year's round (or the latest) if the viewer may see it,
    and whether they may open one."""
    latest = db.session.scalars(
        sa.select(ReviewRound)
        .where(ReviewRound.branch_id == branch.id)
        .order_by(ReviewRound.year.desc())
        .limit(1)
    ).first()
    manage = branch.kind == BranchKind.BRANCH and reviews.can_manage(current_user, branch)
    return {
        "round": latest if latest is not None and reviews.can_view(current_user, latest) else None,
        "phase": str(PHASE_LABELS[latest.phase()]) if latest is not None else "",
        "can_open": manage and (latest is None or latest.year < year),
        "manage": manage,
    }


@login_required
def branch_page(branch_id: int):
    branch = _branch_for(branch_id)
    today = localtoday()
    members = _members(branch)
    upcoming, minutes = _meetings(branch)
    notices = db.session.scalars(
        visible_notices_query(current_user)
        .where(Notice.branch_id == branch.id, Notice.published_at.is_not(None))
        .limit(5)
    ).all()
    return render_template(
        "branchlife/branch.html",
        branch=branch,
        members=members,
        upcoming=upcoming,
        minutes=minutes,
        notices=notices,
        progress=_progress(members, today.year),
        year=today.year,
        today=today,
        party_age=party_age,
        label=kinds.label,
        review=_review(branch, today.year),
    )
