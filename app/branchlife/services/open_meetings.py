"""Meetings open to every member (``Meeting.is_open``), as other domains list them (the red map)."""

from datetime import datetime

import sqlalchemy as sa

from app.branchlife.models import Meeting
from app.extensions import db


def upcoming_open_meetings(
    branch_ids: list[int], now: datetime, per_branch: int = 3
) -> dict[int, list[Meeting]]:
    """The next published open meetings of each of ``branch_ids`` (at most ``per_branch`` each), soonest
    first: one query for all the branches."""
    if not branch_ids:
        return {}
    rows = db.session.scalars(
        sa.select(Meeting)
        .where(
            Meeting.branch_id.in_(branch_ids),
            Meeting.is_open.is_(True),
            Meeting.status == "published",
            Meeting.starts_at >= now,
        )
        .order_by(Meeting.starts_at, Meeting.id)
    )
    out: dict[int, list[Meeting]] = {}
    for meeting in rows:
        listed = out.setdefault(meeting.branch_id, [])
        if len(listed) < per_branch:
            listed.append(meeting)
    return out
