"""党务统计: every figure is one SQL aggregation over the scope's subtree.

The scope is a materialised path (``""`` for the whole organisation): an admin's is everything, a
coordinator's their own branch's subtree, narrowed further to a branch they manage. The member
structure is read from :class:`StructureCount`, recounted by beat (:func:`refresh_structure`); the
monthly and weekly series are counted live, each over one indexed date range.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden

from app.accounts.models import User
from app.assessment.statistics import buckets
from app.assessment.statistics.models import StructureCount, SummaryRefresh
from app.branchlife.models import Meeting
from app.core.clock import utcnow
from app.core.transactions import insert_in_savepoint
from app.core.urls import id_from
from app.extensions import db
from app.membership.models import DevelopmentStep, LetterDirection, Transfer, TransferLetter, TransferStatus
from app.membership.rules import STAGES, STEPS
from app.org.models import Branch
from app.org.services import get_branch_for, scope_path
from app.records.models import HoursEntry, PlaybackSession

logger = logging.getLogger(__name__)

STRUCTURE = "structure"


@dataclass(frozen=True)
class Scope:
    #: Materialised path of the subtree counted; ``""`` is the whole organisation.
    path: str
    #: The branch chosen, or None for the whole of what the user manages.
    branch: Branch | None


def scope_for(user: User, branch_id=None) -> Scope:
    """What ``user`` may count: 403 for members and trainers; a branch outside their subtree is 403,
    an unknown one 404."""
    prefix = scope_path(user)
    if prefix is None:
        raise Forbidden(_("只有组织员和管理员可以查看党务统计。"))
    if branch_id not in (None, ""):
        branch = get_branch_for(id_from(branch_id) or 0, user)
        return Scope(branch.path, branch)
    return Scope(prefix, user.branch if prefix else None)


def _in_scope(scope: Scope, path_column=None):
    return Branch.subtree_filter(scope.path, path_column) if scope.path else sa.true()


def _members():
    """Members counted: active accounts that belong to a branch."""
    return sa.and_(User.is_active_account.is_(True), User.branch_id.is_not(None))


# --- member structure ---------------------------------------------------------------------------


def _lock_refresh(name: str) -> SummaryRefresh | None:
    """The summary's row, locked for this transaction; None when another refresh holds it (PostgreSQL
    skips it; SQLite's writers are serialised by its database lock anyway)."""
    query = sa.select(SummaryRefresh).where(SummaryRefresh.name == name).with_for_update(skip_locked=True)
    row = db.session.scalar(query)
    if row is None and db.session.get(SummaryRefresh, name) is None:
        if not insert_in_savepoint(SummaryRefresh(name=name)):
            return None  # another refresh created it at the same moment and is running
        row = db.session.scalar(query)
    return row


def refresh_structure(today: date) -> bool:
    """Recount the member structure of every branch (idempotent: the summary is replaced whole).

    Returns False when another refresh is running. The caller commits."""
    marker = _lock_refresh(STRUCTURE)
    if marker is None:
        return False
    db.session.execute(sa.delete(StructureCount))
    for dimension in buckets.DIMENSIONS.values():
        bucket = dimension.expression(today).label("bucket")
        counts = (
            sa.select(User.branch_id, sa.literal(dimension.key), bucket, sa.func.count())
            .where(_members())
            .group_by(User.branch_id, bucket)
        )
        db.session.execute(
            sa.insert(StructureCount).from_select(["branch_id", "dimension", "bucket", "members"], counts)
        )
    marker.refreshed_at = utcnow()
    db.session.flush()
    logger.info("statistics: member structure recounted")
    return True


def structure_as_of() -> datetime | None:
    marker = db.session.get(SummaryRefresh, STRUCTURE)
    return marker.refreshed_at if marker else None


def member_structure(scope: Scope, dimension_key: str, today: date) -> tuple[list[tuple[str, int]], object]:
    """``[(bucket key, members)]`` in display order for the scope, and when it was counted.

    Read from the summary; before the first refresh, counted live (the same CASE, one GROUP BY)."""
    dimension = buckets.DIMENSIONS[dimension_key]
    as_of = structure_as_of()
    if as_of is not None:
        query = (
            sa.select(StructureCount.bucket, sa.func.sum(StructureCount.members))
            .join(Branch, Branch.id == StructureCount.branch_id)
            .where(StructureCount.dimension == dimension.key, _in_scope(scope))
            .group_by(StructureCount.bucket)
        )
    else:
        bucket = dimension.expression(today).label("bucket")
        query = (
            sa.select(bucket, sa.func.count())
            .select_from(User)
            .join(Branch, Branch.id == User.branch_id)
            .where(_members(), _in_scope(scope))
            .group_by(bucket)
        )
    counts = {key: int(n or 0) for key, n in db.session.execute(query)}
    return [(key, counts.get(key, 0)) for key, _label in dimension.buckets], as_of


# --- changes month by month ---------------------------------------------------------------------


def _monthly(query, column, edges) -> list[int]:
    """Counts (or sums) of ``query``, whose first column is ``period_case(column, edges)``, per period."""
    out = [0] * (len(edges) - 1)
    for index, value in db.session.execute(query.where(buckets.in_periods(column, edges))):
        if index is not None:
            out[index] += value or 0
    return out


def new_members(scope: Scope, year: int) -> list[int]:
    """Members admitted to the Party (入党日期) in each month of ``year``."""
    edges = buckets.month_starts(year)
    period = buckets.period_case(User.joined_party_on, edges)
    query = (
        sa.select(period, sa.func.count())
        .join(Branch, Branch.id == User.branch_id)
        .where(_in_scope(scope))
        .group_by(period)
    )
    return _monthly(query, User.joined_party_on, edges)


def transfers(scope: Scope, year: int) -> tuple[list[int], list[int]]:
    """Members transferred into and out of the scope per month: approved transfers that cross its
    edge (a move inside the subtree is neither) and 介绍信 to and from outside the organisation."""
    edges = buckets.as_instants(buckets.month_starts(year))
    source, target = sa.orm.aliased(Branch), sa.orm.aliased(Branch)
    period = buckets.period_case(Transfer.decided_at, edges)
    # One object for each expression used twice: PostgreSQL matches GROUP BY to SELECT by its text.
    inward = _in_scope(scope, target.path)
    crossing = (
        sa.select(period, inward, sa.func.count())
        .join(source, source.id == Transfer.from_branch_id)
        .join(target, target.id == Transfer.to_branch_id)
        .where(Transfer.status == TransferStatus.APPROVED, _in_scope(scope, source.path) != inward)
        .group_by(period, inward)
    )
    incoming, outgoing = [0] * 12, [0] * 12
    if scope.path:  # inside the whole organisation no transfer crosses an edge
        rows = db.session.execute(crossing.where(buckets.in_periods(Transfer.decided_at, edges)))
        for index, is_in, n in rows:
            if index is not None:
                (incoming if is_in else outgoing)[index] += n
    days = buckets.month_starts(year)
    for direction, column, into in (
        (LetterDirection.IN, TransferLetter.issued_on, incoming),
        (LetterDirection.OUT, TransferLetter.receipt_on, outgoing),
    ):
        period = buckets.period_case(column, days)
        query = (
            sa.select(period, sa.func.count())
            .join(Branch, Branch.id == TransferLetter.branch_id)
            .where(TransferLetter.direction == direction, _in_scope(scope))
            .group_by(period)
        )
        for index, n in enumerate(_monthly(query, column, days)):
            into[index] += n
    return incoming, outgoing


def _stage_case():
    return sa.case(
        *((DevelopmentStep.key == step.key, step.stage) for step in STEPS), else_=sa.literal(STAGES[0][0])
    )


def development(scope: Scope, year: int) -> dict[str, list[int]]:
    """发展党员 steps recorded per month of ``year``, by the stage each step belongs to."""
    edges = buckets.month_starts(year)
    period = buckets.period_case(DevelopmentStep.done_on, edges)
    stage = _stage_case()
    query = (
        sa.select(period, stage, sa.func.count())
        .join(User, User.id == DevelopmentStep.member_id)
        .join(Branch, Branch.id == User.branch_id)
        .where(_in_scope(scope), buckets.in_periods(DevelopmentStep.done_on, edges))
        .group_by(period, stage)
    )
    out = {key: [0] * 12 for key, _label in STAGES}
    for index, key, n in db.session.execute(query):
        if index is not None and key in out:
            out[key][index] += n
    return out


# --- learning and activity trends ---------------------------------------------------------------


def hours_by_month(scope: Scope, year: int) -> list[float]:
    """学时 credited per month of ``year`` (reversing entries subtract), from the ledger."""
    edges = buckets.as_instants(buckets.month_starts(year))
    period = buckets.period_case(HoursEntry.occurred_on, edges)
    query = (
        sa.select(period, sa.func.sum(HoursEntry.hours))
        .join(User, User.id == HoursEntry.user_id)
        .join(Branch, Branch.id == User.branch_id)
        .where(HoursEntry.year == year, _in_scope(scope))
        .group_by(period)
    )
    return [round(float(v), 2) for v in _monthly(query, HoursEntry.occurred_on, edges)]


def active_by_week(scope: Scope, today: date, weeks: int = 12) -> tuple[list[date], list[int]]:
    """Members active in each of the last ``weeks`` weeks: who played a lesson or was credited hours."""
    mondays = buckets.week_starts(today, weeks)
    edges = buckets.as_instants(mondays)
    activity = sa.union(
        sa.select(
            PlaybackSession.user_id.label("user_id"),
            buckets.period_case(PlaybackSession.started_at, edges).label("week"),
        ).where(buckets.in_periods(PlaybackSession.started_at, edges)),
        sa.select(HoursEntry.user_id, buckets.period_case(HoursEntry.created_at, edges)).where(
            buckets.in_periods(HoursEntry.created_at, edges)
        ),
    ).subquery()
    query = (
        sa.select(activity.c.week, sa.func.count(sa.distinct(activity.c.user_id)))
        .join(User, User.id == activity.c.user_id)
        .join(Branch, Branch.id == User.branch_id)
        .where(_in_scope(scope))
        .group_by(activity.c.week)
    )
    out = [0] * weeks
    for index, n in db.session.execute(query):
        if index is not None:
            out[index] = n
    return mondays[:-1], out


def meetings_by_month(scope: Scope, year: int) -> list[int]:
    """Meetings held (finalised) per month of ``year`` in the scope's branches."""
    edges = buckets.month_starts(year)
    period = buckets.period_case(Meeting.held_on, edges)
    query = (
        sa.select(period, sa.func.count())
        .join(Branch, Branch.id == Meeting.branch_id)
        .where(Meeting.status == "finalised", _in_scope(scope))
        .group_by(period)
    )
    return _monthly(query, Meeting.held_on, edges)
