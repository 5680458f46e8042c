"""Per-branch figures of notice receipts (回执) for a period, for other domains' reports (the
assessment): grouped SQL counts, never a query per member or per notice."""

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.core.clock import LOCAL_TZ
from app.extensions import db
from app.org.models import Branch
from app.portal.models import Notice, NoticeRead


def _window(starts_on: date, ends_on: date):
    start = datetime.combine(starts_on, time.min, LOCAL_TZ)
    end = datetime.combine(ends_on, time.max, LOCAL_TZ)
    return Notice.requires_receipt.is_(True), Notice.published_at >= start, Notice.published_at <= end


def receipts(prefix: str, starts_on: date, ends_on: date) -> dict[int, tuple[int, int]]:
    """Per branch under ``prefix``: ``(receipts given, receipts asked)`` for the notices asking for a
    receipt published between the two days: asked = active members × notices addressed to the branch
    (the whole company's and its own or an ancestor's); given = those members' receipts of them."""
    audience = aliased(Branch)
    in_scope = Branch.subtree_filter(prefix) if prefix else sa.true()
    addressed = (
        sa.select(Branch.id.label("branch_id"), sa.func.count(Notice.id).label("notices"))
        .select_from(Branch)
        .join(Notice, sa.true())
        .outerjoin(audience, audience.id == Notice.branch_id)
        .where(
            in_scope,
            *_window(starts_on, ends_on),
            sa.or_(
                Notice.branch_id.is_(None),
                sa.func.substr(Branch.path, 1, sa.func.length(audience.path)) == audience.path,
            ),
        )
        .group_by(Branch.id)
        .subquery()
    )
    members = (
        sa.select(User.branch_id, sa.func.count(User.id).label("members"))
        .where(User.is_active_account.is_(True))
        .group_by(User.branch_id)
        .subquery()
    )
    asked = dict(
        db.session.execute(
            sa.select(addressed.c.branch_id, addressed.c.notices * members.c.members).join(
                members, members.c.branch_id == addressed.c.branch_id
            )
        ).all()
    )
    given_query = (
        sa.select(User.branch_id, sa.func.count())
        .select_from(NoticeRead)
        .join(Notice, Notice.id == NoticeRead.notice_id)
        .join(User, User.id == NoticeRead.user_id)
        .where(User.is_active_account.is_(True), *_window(starts_on, ends_on))
        .group_by(User.branch_id)
    )
    if prefix:
        given_query = given_query.join(Branch, Branch.id == User.branch_id).where(in_scope)
    given = dict(db.session.execute(given_query).all())
    return {bid: (min(given.get(bid, 0), total), total) for bid, total in asked.items()}
