"""Coordinator reports: SQL aggregations over a branch subtree, never a query per member."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts.models import CATEGORY_LABELS, POSITION_LABELS, User
from app.core import spreadsheets
from app.extensions import db
from app.org.models import Branch
from app.org.services import containing, ordered_tree, scope_path, visible_branches
from app.records import sources
from app.records.models import HoursTotal
from app.records.services.base import HoursPolicy
from app.records.services.targets import target_expression


def year_fraction(today: date) -> Decimal:
    """How far through the year ``today`` is: the pace at which targets should be met."""
    start = date(today.year, 1, 1)
    days = (date(today.year + 1, 1, 1) - start).days
    return Decimal((today - start).days + 1) / Decimal(days)


def _with_year_total(query, year: int):
    """``query`` over ``User`` outer-joined to each member's total of ``year`` (kept beside the
    ledger: one row per member and year, not a sum over the ledger)."""
    return query.outerjoin(HoursTotal, sa.and_(HoursTotal.user_id == User.id, HoursTotal.year == year))


def _with_branch_of_year(query, year: int, today: date):
    """``query`` over ``User`` joined to the member's ``Branch`` — for a past year, the branch they
    were in on its last day (the history a producer registers in :mod:`app.records.sources`), so a
    member who moved since is still counted where they were. One join, still one SQL aggregation."""
    history = sources.branch_history(date(year, 12, 31)) if year < today.year else None
    if history is None:
        return query.join(Branch, User.branch_id == Branch.id)
    query = query.outerjoin(history, history.c.member_id == User.id)
    return query.join(Branch, sa.func.coalesce(history.c.branch_id, User.branch_id) == Branch.id)


@dataclass
class BranchRow:
    branch: Branch
    members: int = 0
    hours: Decimal = Decimal("0")
    met_target: int = 0
    behind_pace: int = 0
    children: list = field(default_factory=list)

    @property
    def completion_rate(self) -> float:
        return self.met_target / self.members if self.members else 0.0

    @property
    def average_hours(self) -> Decimal:
        return (self.hours / self.members).quantize(Decimal("0.01")) if self.members else Decimal("0")


def branch_rollup(user: User, year: int, today: date, policy: HoursPolicy | None = None) -> list[BranchRow]:
    """Per visible branch, rolled up the tree: members, hours, reached the target, behind the pace."""
    branches = visible_branches(user)
    if not branches:
        return []
    hours = sa.func.coalesce(HoursTotal.hours, 0)
    target = target_expression(policy)
    pace = year_fraction(today) if today.year == year else Decimal(1)
    query = (
        sa.select(
            Branch.path,
            sa.func.count(User.id),
            sa.func.sum(hours),
            sa.func.sum(sa.case((hours >= target, 1), else_=0)),
            sa.func.sum(sa.case((hours < target * pace, 1), else_=0)),
        )
        .select_from(User)
        .where(User.is_active_account.is_(True))
        .group_by(Branch.path)
    )
    query = _with_year_total(_with_branch_of_year(query, year, today), year)
    prefix = scope_path(user)
    if prefix:
        query = query.where(Branch.subtree_filter(prefix))
    per_path = {
        path: (n, Decimal(h or 0), met or 0, behind or 0)
        for path, n, h, met, behind in db.session.execute(query).all()
    }
    rows = {b.id: BranchRow(b) for b in ordered_tree(branches)}
    by_id = {b.id: b for b in branches}
    for path, (n, h, met, behind) in per_path.items():
        for branch in containing(by_id, path):
            row = rows[branch.id]
            row.members += n
            row.hours += h
            row.met_target += met
            row.behind_pace += behind
    return list(rows.values())


def members_query(
    user: User, year: int, today: date, branch: Branch | None = None, behind_only: bool = False
):
    """Members in scope with this year's hours and target, for lists, reminders and exports.

    Plain columns, not ORM objects: exports stream tens of thousands of these rows.
    """
    hours = sa.func.coalesce(HoursTotal.hours, 0)
    pace = year_fraction(today) if today.year == year else Decimal(1)
    query = (
        sa.select(
            User.id,
            User.employee_no,
            User.name,
            User.category,
            User.position,
            Branch.name.label("branch_name"),
            hours.label("hours"),
            target_expression().label("target"),
        )
        .select_from(User)
        .where(User.is_active_account.is_(True))
    )
    query = _with_year_total(_with_branch_of_year(query, year, today), year)
    prefix = scope_path(user)
    if branch is not None:
        query = query.where(Branch.subtree_filter(branch.path))
    elif prefix:
        query = query.where(Branch.subtree_filter(prefix))
    if behind_only:
        query = query.where(hours < target_expression() * pace)
    return query.order_by(Branch.path, User.employee_no)


def export_header() -> list[str]:
    """The export's column headings, in the reader's language."""
    return [
        _("工号"),
        _("姓名"),
        _("所属组织"),
        _("人员类别"),
        _("党内职务"),
        _("年度"),
        _("已获学时"),
        _("年度目标"),
        _("完成率"),
    ]


def _export_rows(rows, year: int) -> Iterator[list]:
    for row in rows:
        hours, target = Decimal(row.hours), Decimal(row.target)
        rate = f"{min(hours / target, Decimal(1)) * 100:.0f}%" if target else ""
        yield [
            row.employee_no,
            row.name,
            row.branch_name,
            str(CATEGORY_LABELS.get(row.category, "")) if row.category else "",
            str(POSITION_LABELS.get(row.position, "")) if row.position else "",
            year,
            f"{hours:.2f}",
            f"{target:.0f}",
            rate,
        ]


def _partitioned_rows(query, year: int, batch: int) -> Iterator[list]:
    result = db.session.execute(query.execution_options(yield_per=batch))
    for rows in result.partitions():
        yield from _export_rows(rows, year)


def stream_csv(query, year: int, batch: int = 1000) -> Iterator[str]:
    """CSV text in chunks, rows fetched ``batch`` at a time: memory stays flat however many members."""
    return spreadsheets.csv_stream(export_header(), _partitioned_rows(query, year, batch), batch=batch)


def write_xlsx(query, year: int, batch: int = 1000):
    """Write the export to a temporary XLSX file in openpyxl's write-only (streaming) mode."""
    sheet = spreadsheets.Sheet(
        _("%(year)s年学时", year=year), export_header(), _partitioned_rows(query, year, batch)
    )
    return spreadsheets.xlsx_file([sheet])


# --- assigned courses (学习任务): the producer counts, records rolls up the tree -----------------------


@dataclass
class AssignmentRollup:
    """Assigned member × course pairs: how many, how many completed, how many overdue."""

    pairs: int = 0
    completed: int = 0
    overdue: int = 0

    @property
    def rate(self) -> float:
        return self.completed / self.pairs if self.pairs else 0.0

    def add(self, pairs: int, completed: int, overdue: int) -> None:
        self.pairs += pairs
        self.completed += completed
        self.overdue += overdue


def assignment_completion(user: User, today: date, branches: list[Branch]):
    """Assigned-course completion per visible branch (rolled up the tree) and per course, for the
    active members ``user`` may see. Completion and the overdue rule belong to the courses domain,
    which counts per (branch, course) through :func:`app.records.sources.assigned_courses`."""
    active = [User.is_active_account.is_(True)]
    prefix = scope_path(user)
    if prefix:
        active.append(User.branch_id.in_(sa.select(Branch.id).where(Branch.subtree_filter(prefix))))
    assigned = sources.assigned_courses(today, active)

    by_id = {b.id: b for b in branches}
    per_branch = {b.id: AssignmentRollup() for b in branches}
    per_course: dict[int, AssignmentRollup] = {}
    for t in assigned.tallies:
        per_course.setdefault(t.course_id, AssignmentRollup()).add(t.pairs, t.completed, t.overdue)
        if t.branch_id in by_id:
            for branch in containing(by_id, by_id[t.branch_id].path):
                per_branch[branch.id].add(t.pairs, t.completed, t.overdue)
    titles = assigned.titles
    courses = sorted(((titles.get(cid, ""), cid, r) for cid, r in per_course.items()), key=lambda t: t[0])
    return per_branch, courses
