"""The compliance board: for each 党支部 and year, per kind, required vs held per period, what is due
now and what is overdue; rolled up the tree for coordinators.

One grouped query counts the finalised meetings per (branch, kind) and month of the year for every
党支部 under a node; the periods are folded in Python from those (at most 12 × kinds) counts per
branch. A period is overdue from the day after it ends (server clock); the current period is due.
"""

# Services alike in shape to other domains' (load, check the rule, change, flush, audit, notify),
# kept apart: each checks its own rules and says so in its own words.

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from app.branchlife import kinds
from app.branchlife.models import Meeting
from app.branchlife.reviews.models import ReviewRound
from app.core.clock import LOCAL_TZ
from app.extensions import db
from app.org.models import Branch, BranchKind


@dataclass
class KindStatus:
    kind: str
    period: str  # month | quarter | year
    required: int  # meetings required in the periods of the year so far (ended + current)
    held: int
    overdue: list[str] = field(default_factory=list)  # period labels: 2026-03, 2026Q1, 2026
    due: str | None = None  # the current period, when it still needs a meeting

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "period": self.period,
            "required": self.required,
            "held": self.held,
            "overdue_periods": self.overdue,
            "due": self.due,
        }


@dataclass
class BranchStatus:
    branch: sa.Row  # id, name, path
    kinds: list[KindStatus]

    @property
    def overdue(self) -> int:
        return sum(len(k.overdue) for k in self.kinds)


def _period_of(period: str, month: int) -> int:
    return {"month": month - 1, "quarter": (month - 1) // 3, "year": 0}[period]


def _label(period: str, year: int, index: int) -> str:
    if period == "month":
        return f"{year}-{index + 1:02d}"
    if period == "quarter":
        return f"{year}Q{index + 1}"
    return str(year)


def _current_index(period: str, year: int, today: date) -> int:
    """Index of the period ``today`` falls in; -1 before the year, the count after it."""
    if today.year < year:
        return -1
    if today.year > year:
        return kinds.PERIODS[period]
    return _period_of(period, today.month)


def _counts(prefix: str, year: int) -> dict[int, dict[str, list[int]]]:
    """Finalised meetings of the year per branch under ``prefix``, per kind: one row per (branch,
    kind) with the twelve monthly counts as columns (a row per month would be nine times as many)."""
    month = sa.extract("month", Meeting.held_on)
    by_month = [sa.func.sum(sa.case((month == m, 1), else_=0)) for m in range(1, 13)]
    rows = db.session.execute(
        sa.select(Meeting.branch_id, Meeting.kind, *by_month)
        .join(Branch, Branch.id == Meeting.branch_id)
        .where(
            Branch.subtree_filter(prefix),
            Meeting.status == "finalised",
            Meeting.held_on >= date(year, 1, 1),
            Meeting.held_on <= date(year, 12, 31),
        )
        .group_by(Meeting.branch_id, Meeting.kind)
    )
    counts: dict[int, dict[str, list[int]]] = defaultdict(dict)
    for branch_id, kind, *months in rows:  # a group has a row at least: no sum is NULL
        counts[branch_id][kind] = months
    # 党课 given by the branch's 书记 (a rule of its own): a few rows, the same shape.
    by_secretary = db.session.execute(
        sa.select(Meeting.branch_id, *by_month)
        .join(Branch, Branch.id == Meeting.branch_id)
        .where(
            Branch.subtree_filter(prefix),
            Meeting.status == "finalised",
            Meeting.kind == "lecture",
            Meeting.lecturer_is_secretary.is_(True),
            Meeting.held_on >= date(year, 1, 1),
            Meeting.held_on <= date(year, 12, 31),
        )
        .group_by(Meeting.branch_id)
    )
    for branch_id, *months in by_secretary:
        counts[branch_id][kinds.SECRETARY_LECTURE] = months
    _add_reviews(counts, prefix, year)
    return counts


def _add_reviews(counts: dict, prefix: str, year: int) -> None:
    """A 民主评议 round of the year whose grades are recorded is the ``review`` held, in the month it
    finished (December when it finished after the year)."""
    rounds = db.session.execute(
        sa.select(ReviewRound.branch_id, ReviewRound.finished_at)
        .join(Branch, Branch.id == ReviewRound.branch_id)
        .where(Branch.subtree_filter(prefix), ReviewRound.year == year, ReviewRound.finished_at.is_not(None))
    )
    for branch_id, finished_at in rounds:
        local = finished_at.astimezone(LOCAL_TZ)
        months = counts[branch_id].setdefault("review", [0] * 12)
        months = counts[branch_id]["review"] = list(months)
        months[local.month - 1 if local.year == year else 11] += 1


def _fold(months: list[int], period: str) -> list[int]:
    if period == "month":
        return months
    if period == "quarter":
        return [sum(months[q * 3 : q * 3 + 3]) for q in range(4)]
    return [sum(months)]


NO_MEETINGS = [0] * 12


@dataclass(frozen=True)
class _Plan:
    """What one rule means in the year as of today, worked out once for every branch."""

    rule: kinds.Rule
    labels: list[str]
    current: int  # the period today is in (-1 before the year, the count after it)
    ended: int  # periods over
    required: int


def _plans(rules, year: int, today: date) -> list[_Plan]:
    plans = []
    for rule in rules:
        periods = kinds.PERIODS[rule.period]
        current = _current_index(rule.period, year, today)
        plans.append(
            _Plan(
                rule,
                [_label(rule.period, year, i) for i in range(periods)],
                current,
                min(max(current, 0), periods),
                rule.at_least * min(current + 1, periods) if current >= 0 else 0,
            )
        )
    return plans


def _status(counts: dict[str, list[int]], plans: list[_Plan], seen: dict) -> list[KindStatus]:
    """A branch's status per rule. Branches with the same monthly counts of a kind share one
    (read-only) KindStatus: thousands of branches hold only a handful of distinct patterns."""
    result = []
    for plan in plans:
        rule = plan.rule
        months = counts.get(rule.kind, NO_MEETINGS)
        key = (rule.kind, tuple(months))
        status = seen.get(key)
        if status is None:
            per_period = _fold(months, rule.period)
            status = KindStatus(rule.kind, rule.period, plan.required, sum(per_period))
            status.overdue = [plan.labels[i] for i in range(plan.ended) if per_period[i] < rule.at_least]
            if 0 <= plan.current < len(plan.labels) and per_period[plan.current] < rule.at_least:
                status.due = plan.labels[plan.current]
            seen[key] = status
        result.append(status)
    return result


def board(node: Branch, year: int, today: date) -> list[BranchStatus]:
    """The status of every 党支部 under ``node`` (``node`` itself when it is one), by path. The
    branches come as rows (id, name, path), not ORM objects: thousands of them are read per board."""
    plans = _plans(kinds.rules(), year, today)
    counts = _counts(node.path, year)
    branches = db.session.execute(
        sa.select(Branch.id, Branch.name, Branch.path)
        .where(Branch.subtree_filter(node.path), Branch.kind == BranchKind.BRANCH)
        .order_by(Branch.path)
    ).all()
    seen: dict = {}
    return [BranchStatus(b, _status(counts.get(b.id, {}), plans, seen)) for b in branches]


def summary(statuses: list[BranchStatus]) -> list[KindStatus]:
    """Per kind, the sums over ``statuses`` (a 党总支's or 党委's roll-up): required, held, and the
    overdue periods as "<branch>:<period>"."""
    by_kind: dict[str, KindStatus] = {}
    for status in statuses:
        for k in status.kinds:
            total = by_kind.setdefault(k.kind, KindStatus(k.kind, k.period, 0, 0))
            total.required += k.required
            total.held += k.held
            total.overdue.extend(f"{status.branch.name}:{p}" for p in k.overdue)
    return list(by_kind.values())


EXPORT_HEADER = ("组织", "会议类型", "周期", "应开", "已开", "逾期周期", "本期待开")


def export_rows(statuses: list[BranchStatus]):
    for status in statuses:
        for k in status.kinds:
            yield (
                status.branch.name,
                kinds.label(k.kind),
                str(kinds.PERIOD_LABELS[k.period]),
                k.required,
                k.held,
                "、".join(k.overdue),
                k.due or "",
            )
