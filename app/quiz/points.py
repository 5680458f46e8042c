"""The points (积分) ledger: append-only, one award per (member, action, ref), daily caps per action.

Other domains reward learning through :func:`award_points`; nobody else writes these tables.
The ledger is its own audit trail (who, what, why, when), so awards add no audit entries.
"""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.core import clock
from app.core.transactions import insert_in_savepoint
from app.extensions import db
from app.org.models import Branch
from app.quiz import points_chain
from app.quiz.models import PointsDay, PointsEntry

ACTION_LABELS = {
    "daily_quiz": _l("每日答题"),
    "challenge": _l("挑战答题"),
    "contest": _l("竞赛"),
    "duel": _l("双人对战"),
    "quiz_pass": _l("通过测验"),
    "lesson": _l("完成课程学习"),
    "article": _l("阅读文章"),
    "media": _l("视听学习"),
    "course": _l("学完课程"),
    "login": _l("每日登录"),
    "comment": _l("发表评论或回答"),
}


@dataclass(frozen=True)
class Award:
    entry: PointsEntry
    #: Points this call credited: 0 for a repeat of an earlier award or when the cap was reached.
    points: int
    is_new: bool

    @property
    def capped(self) -> bool:
        return self.is_new and self.entry.points == 0


def local_day(moment: datetime) -> date:
    return moment.astimezone(clock.LOCAL_TZ).date()


def _existing(user_id: int, action: str, ref: str) -> PointsEntry | None:
    return db.session.scalar(
        sa.select(PointsEntry).where(
            PointsEntry.user_id == user_id, PointsEntry.action == action, PointsEntry.ref == ref
        )
    )


def award_points(user: User | int, action: str, ref: str, points: int, note: str = "") -> Award:
    """Credit ``points`` to ``user`` for ``action`` on ``ref`` (once), within the action's daily cap.

    Safe under concurrency on SQLite and PostgreSQL: the member's chain head is locked first (their
    awards queue there, so the hash chain stays one line), then the day's counter row while the
    cap is checked; a second award of the same ref finds the first once it holds the head (and
    would fail on the unique constraint inside a savepoint anyway). The caller commits.
    """
    caps = current_app.config["POINTS_DAILY_CAPS"]
    if action not in caps:
        raise ValueError(f"unknown points action {action!r}; add its daily cap to POINTS_DAILY_CAPS")
    if points <= 0:
        raise ValueError("points must be positive")
    user_id = user if isinstance(user, int) else user.id
    ref = str(ref)[:64]
    if (entry := _existing(user_id, action, ref)) is not None:
        return Award(entry, 0, False)
    head = points_chain.locked_head(user_id)
    if (entry := _existing(user_id, action, ref)) is not None:  # awarded while we waited for the head
        return Award(entry, 0, False)
    day = local_day(clock.utcnow())
    try:
        with db.session.begin_nested():
            db.session.execute(sa.insert(PointsDay).values(user_id=user_id, day=day, action=action, total=0))
    except IntegrityError:
        pass  # the day's row exists already (or another request just made it)
    counter = db.session.scalars(
        sa.select(PointsDay)
        .where(PointsDay.user_id == user_id, PointsDay.day == day, PointsDay.action == action)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    granted = max(0, min(points, caps[action] - counter.total))
    entry = PointsEntry(
        user_id=user_id,
        action=action,
        ref=ref,
        points=granted,
        day=day,
        created_at=clock.utcnow(),
        note=note[:200],
    )
    points_chain.chain(entry, head)
    if not insert_in_savepoint(entry):
        return Award(_existing(user_id, action, ref), 0, False)
    points_chain.advance(head, entry)
    counter.total += granted
    db.session.flush()
    return Award(entry, granted, True)


# --- reading ------------------------------------------------------------------------------------


def points_total(user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(PointsEntry.points), 0)).where(PointsEntry.user_id == user_id)
    )


def points_today(user_id: int) -> dict[str, dict]:
    """Today's points by action with each action's cap: ``{"daily_quiz": {"points": 3, "cap": 5}}``."""
    caps = current_app.config["POINTS_DAILY_CAPS"]
    rows = db.session.execute(
        sa.select(PointsDay.action, PointsDay.total).where(
            PointsDay.user_id == user_id, PointsDay.day == local_day(clock.utcnow())
        )
    ).all()
    earned = dict(rows)
    return {action: {"points": earned.get(action, 0), "cap": cap} for action, cap in caps.items()}


def history_query(user_id: int):
    return sa.select(PointsEntry).where(PointsEntry.user_id == user_id).order_by(PointsEntry.id.desc())


def entry_json(entry: PointsEntry) -> dict:
    return {
        "id": entry.id,
        "action": entry.action,
        "action_label": ACTION_LABELS.get(entry.action, entry.action),
        "ref": entry.ref,
        "points": entry.points,
        "note": entry.note,
        "created_at": entry.created_at.isoformat(),
    }


def branch_leaderboard(since: datetime | None = None, scope: str = "", limit: int = 100) -> list[dict]:
    """Branches ranked by points per member (fair to small branches), one query.

    ``scope`` narrows to a subtree path; members count whether or not they earned anything.
    """
    members = (
        sa.select(User.branch_id, sa.func.count(User.id).label("members"))
        .where(User.is_active_account.is_(True), User.branch_id.is_not(None))
        .group_by(User.branch_id)
        .subquery()
    )
    earned = sa.select(User.branch_id, sa.func.sum(PointsEntry.points).label("points")).join(
        User, User.id == PointsEntry.user_id
    )
    if since is not None:
        earned = earned.where(PointsEntry.created_at >= since)
    earned = earned.group_by(User.branch_id).subquery()
    points = sa.func.coalesce(earned.c.points, 0)
    query = (
        sa.select(Branch.id, Branch.name, members.c.members, points)
        .join(members, members.c.branch_id == Branch.id)
        .outerjoin(earned, earned.c.branch_id == Branch.id)
        .order_by((points * 1.0 / members.c.members).desc(), Branch.path)
        .limit(limit)
    )
    if scope:
        query = query.where(Branch.subtree_filter(scope))
    return [
        {
            "rank": rank,
            "branch_id": bid,
            "branch": name,
            "members": count,
            "points": int(total),
            "average": round(total / count, 1),
        }
        for rank, (bid, name, count, total) in enumerate(db.session.execute(query).all(), start=1)
    ]


def personal_leaderboard(since: datetime | None = None, scope: str = "", limit: int = 50) -> list[dict]:
    """Members ranked by points: only shown when POINTS_PERSONAL_RANKING is on."""
    query = (
        sa.select(User.id, User.name, Branch.name, sa.func.sum(PointsEntry.points).label("total"))
        .join(PointsEntry, PointsEntry.user_id == User.id)
        .outerjoin(Branch, Branch.id == User.branch_id)
        .group_by(User.id, User.name, Branch.name)
        .order_by(sa.desc("total"), User.id)
        .limit(limit)
    )
    if since is not None:
        query = query.where(PointsEntry.created_at >= since)
    if scope:
        query = query.where(Branch.subtree_filter(scope))
    return [
        {"rank": rank, "user_id": uid, "name": name, "branch": branch or "", "points": int(total)}
        for rank, (uid, name, branch, total) in enumerate(db.session.execute(query).all(), start=1)
    ]
