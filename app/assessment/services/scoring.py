"""Scores: computed live from the platform's data while a scheme runs, frozen with their inputs.

Per 党支部, each indicator gives ``weight × clamp((value − floor) / (target − floor), 0, 1)`` points
(a manual one what the coordinator scored), plus the committee's adjustment, kept between 0 and the
weight. A 党总支 or 党委 scores the **member-weighted mean** of the totals of the 党支部 under it (a
branch of 80 members weighs eight times one of 10; with no members anywhere, the plain mean).

Every computed kind is asked once for the whole subtree: a handful of grouped queries, whatever
the number of branches and members. Frozen schemes are read from their snapshot only.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts.models import BranchPosition, Role, User, UserRole
from app.assessment import indicators
from app.assessment.models import (
    Adjustment,
    BranchResult,
    Indicator,
    ManualScore,
    Result,
    Scheme,
    SchemeStatus,
)
from app.assessment.services.schemes import AssessmentError, _require_admin
from app.core import audit
from app.core.clock import localtoday, utcnow
from app.core.signals import notification_requested
from app.extensions import db
from app.org.models import Branch, BranchKind
from app.org.services import active_member_counts

CENT = Decimal("0.01")
ZERO = Decimal(0)


def rule_points(indicator: Indicator, value: Decimal | None) -> Decimal:
    """The linear rule; no value (nothing was asked of the branch, e.g. no course assigned) gives
    the full weight: nothing required was left undone."""
    if value is None:
        return indicator.weight
    ratio = (value - indicator.floor) / (indicator.target - indicator.floor)
    ratio = min(max(ratio, ZERO), Decimal(1))
    return (indicator.weight * ratio).quantize(CENT, ROUND_HALF_UP)


@dataclass
class Line:
    """How one indicator's points were earned and lost in one 党支部."""

    indicator: Indicator
    value: Decimal | None
    inputs: dict
    points: Decimal
    adjustment: Decimal = ZERO
    note: str = ""

    @property
    def final(self) -> Decimal:
        return min(max(self.points + self.adjustment, ZERO), self.indicator.weight)

    @property
    def lost(self) -> Decimal:
        return self.indicator.weight - self.final

    @property
    def formula(self) -> str:
        return indicators.formula(self.indicator.kind)

    @property
    def manual_score_id(self) -> int | None:
        return self.inputs.get("manual_score_id")


@dataclass
class BranchScore:
    branch_id: int
    name: str
    path: str
    kind: str
    depth: int
    members: int = 0
    total: Decimal = ZERO
    lines: list[Line] = field(default_factory=list)

    @property
    def is_branch(self) -> bool:
        return self.kind == BranchKind.BRANCH


def period_of(scheme: Scheme, today: date) -> indicators.Period:
    return indicators.Period(scheme.year, scheme.starts_on, scheme.ends_on, today)


def _nodes(prefix: str) -> list[BranchScore]:
    query = sa.select(Branch.id, Branch.name, Branch.path, Branch.kind, Branch.depth).order_by(Branch.path)
    if prefix:
        query = query.where(Branch.subtree_filter(prefix))
    return [BranchScore(i, n, p, str(k), d) for i, n, p, k, d in db.session.execute(query)]


def _by_branch(model, scheme: Scheme, branch_ids: set[int]) -> dict[tuple[int, int], object]:
    ids = [i.id for i in scheme.indicators]
    rows = db.session.scalars(sa.select(model).where(model.indicator_id.in_(ids))) if ids else []
    return {(row.indicator_id, row.branch_id): row for row in rows if row.branch_id in branch_ids}


def _manual_line(indicator: Indicator, score: ManualScore | None, waiting: str) -> Line:
    if score is None:
        return Line(indicator, None, {}, ZERO, note=waiting)
    inputs = {"manual_score_id": score.id, "evidence_name": score.evidence_name, "comment": score.comment}
    return Line(indicator, None, inputs, min(score.points, indicator.weight), note=score.comment)


def _computed_line(
    indicator: Indicator, figure: tuple[int, int] | None, seen: dict, nothing_asked: str
) -> Line:
    """``seen`` keeps the value and points of each (indicator, figure) worked out already: thousands of
    branches share a handful of figures (17 members of 17 on target), and Decimal arithmetic adds up."""
    numerator, denominator = figure or (0, 0)
    key = (indicator.id, numerator, denominator)
    if key not in seen:
        if not denominator:
            seen[key] = (None, rule_points(indicator, None), nothing_asked)
        else:
            value = (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
            seen[key] = (value, rule_points(indicator, value), "")
    value, points, note = seen[key]
    return Line(indicator, value, {"numerator": numerator, "denominator": denominator}, points, note=note)


def _live(scheme: Scheme, prefix: str, today: date, nodes: list[BranchScore]) -> None:
    branches = {n.branch_id: n for n in nodes if n.is_branch}
    period = period_of(scheme, today)
    members = active_member_counts(prefix)
    figures = {
        kind: indicators.KINDS[kind].figures(prefix, period)
        for kind in {i.kind for i in scheme.indicators if not i.is_manual}
    }
    manual = _by_branch(ManualScore, scheme, set(branches))
    adjustments = _by_branch(Adjustment, scheme, set(branches))
    lines_of_scheme, seen = scheme.indicators, {}
    waiting, nothing_asked = _("待评分"), _("本期无此项要求")  # looked up once, not per branch
    for branch_id, node in branches.items():
        node.members = members.get(branch_id, 0)
        for indicator in lines_of_scheme:
            if indicator.is_manual:
                line = _manual_line(indicator, manual.get((indicator.id, branch_id)), waiting)
            else:
                line = _computed_line(indicator, figures[indicator.kind].get(branch_id), seen, nothing_asked)
            adjustment = adjustments.get((indicator.id, branch_id))
            if adjustment is not None:
                line.adjustment = adjustment.delta
            node.lines.append(line)
        node.total = sum((line.final for line in node.lines), ZERO)


def _frozen(scheme: Scheme, prefix: str, nodes: list[BranchScore], with_lines: bool) -> None:
    branches = {n.branch_id: n for n in nodes if n.is_branch}
    in_scope = Branch.subtree_filter(prefix) if prefix else sa.true()
    totals = sa.select(BranchResult.branch_id, BranchResult.members, BranchResult.total).join(
        Branch, Branch.id == BranchResult.branch_id
    )
    for branch_id, members, total in db.session.execute(
        totals.where(BranchResult.scheme_id == scheme.id, in_scope)
    ):
        if branch_id in branches:
            branches[branch_id].members, branches[branch_id].total = members, total
    if not with_lines:
        return
    by_id = {i.id: i for i in scheme.indicators}
    results = db.session.execute(
        sa.select(
            Result.branch_id,
            Result.indicator_id,
            Result.value,
            Result.inputs,
            Result.points,
            Result.adjustment,
            Result.note,
        )
        .join(Branch, Branch.id == Result.branch_id)
        .where(Result.scheme_id == scheme.id, in_scope)
    )
    lines: dict[int, dict[int, Line]] = defaultdict(dict)
    for branch_id, indicator_id, value, inputs, points, adjustment, note in results:
        lines[branch_id][indicator_id] = Line(
            by_id[indicator_id], value, inputs or {}, points, adjustment, note
        )
    for branch_id, node in branches.items():
        node.lines = [lines[branch_id][i.id] for i in scheme.indicators if i.id in lines[branch_id]]


def _roll_up(nodes: list[BranchScore]) -> None:
    """Each 党总支/党委: the member-weighted mean of the totals of the 党支部 under it (one pass up the
    materialised paths, not a scan of the leaves per node)."""
    sums: dict[int, list] = {n.branch_id: [0, ZERO, ZERO, 0] for n in nodes if not n.is_branch}
    for leaf in nodes:
        if not leaf.is_branch:
            continue
        for ancestor in Branch.ids_in_path(leaf.path):
            if ancestor in sums:
                acc = sums[ancestor]
                acc[0] += leaf.members
                acc[1] += leaf.total * leaf.members
                acc[2] += leaf.total
                acc[3] += 1
    for node in nodes:
        if node.branch_id not in sums:
            continue
        members, weighted, plain, leaves = sums[node.branch_id]
        node.members = members
        mean = weighted / members if members else (plain / leaves if leaves else ZERO)
        node.total = Decimal(mean).quantize(CENT, ROUND_HALF_UP)


def scores_for(scheme: Scheme, prefix: str, today: date | None = None, with_lines: bool = True):
    """Every node under ``prefix`` in path order, 党支部 scored, the others rolled up."""
    nodes = _nodes(prefix)
    if scheme.is_frozen:
        _frozen(scheme, prefix, nodes, with_lines)
    else:
        _live(scheme, prefix, today or localtoday(), nodes)
    _roll_up(nodes)
    return nodes


def branch_detail(scheme: Scheme, branch: Branch, today: date | None = None) -> BranchScore:
    """One node's score: a 党支部's lines, or a 党总支/党委's roll-up."""
    return next(n for n in scores_for(scheme, branch.path, today) if n.branch_id == branch.id)


def _lock(scheme: Scheme) -> None:
    """Serialise the state changes of one scheme (freeze, score, adjust) and see its latest status."""
    db.session.refresh(scheme, with_for_update=True)


def _result_row(scheme: Scheme, node: BranchScore, line: Line) -> dict:
    return {
        "scheme_id": scheme.id,
        "branch_id": node.branch_id,
        "indicator_id": line.indicator.id,
        "value": line.value,
        "inputs": line.inputs,
        "points": line.points,
        "adjustment": line.adjustment,
        "note": line.note[:1000],
    }


def freeze_scheme(actor: User, scheme: Scheme, today: date | None = None) -> Scheme:
    """Compute every 党支部's scores once and store them with their inputs: from now on the results
    are read from this snapshot, and later changes to the platform's data never reach them."""
    _require_admin(actor)
    _lock(scheme)
    if scheme.status != SchemeStatus.RUNNING:
        raise AssessmentError(_("只有进行中的考核可以冻结。"), status=409)
    nodes = [n for n in scores_for(scheme, "", today) if n.is_branch]
    if nodes:
        # Core inserts: the ORM's bulk insert splits the rows wherever a column turns None (the manual
        # lines' value): one executemany per branch, 3,000 round trips at scale.
        db.session.execute(
            Result.__table__.insert(),
            [_result_row(scheme, node, line) for node in nodes for line in node.lines],
        )
        db.session.execute(
            BranchResult.__table__.insert(),
            [
                {"scheme_id": scheme.id, "branch_id": n.branch_id, "members": n.members, "total": n.total}
                for n in nodes
            ],
        )
    scheme.status = SchemeStatus.FROZEN
    scheme.frozen_at = utcnow()
    db.session.flush()
    audit.record(actor, "assessment.freeze", scheme, f"冻结考核结果 {scheme.name}", {"branches": len(nodes)})
    return scheme


def publish_scheme(actor: User, scheme: Scheme) -> Scheme:
    _require_admin(actor)
    _lock(scheme)
    if scheme.status != SchemeStatus.FROZEN:
        raise AssessmentError(_("请先冻结考核结果，再发布。"), status=409)
    scheme.status = SchemeStatus.PUBLISHED
    scheme.published_at = utcnow()
    db.session.flush()
    audit.record(actor, "assessment.publish", scheme, f"发布考核结果 {scheme.name}")
    notification_requested.send(
        "assessment",
        user_ids=_told_of_results(actor),
        title=_("考核结果已发布：%(name)s", name=scheme.name),
        body=_("%(name)s 的考核结果已发布，可查看本支部每项得分的来由及依据。", name=scheme.name),
        url=f"/assessment/{scheme.id}",
        kind="assessment.published",
    )
    return scheme


def _told_of_results(actor: User) -> list[int]:
    """Who answers for the branches assessed: every coordinator and every branch's 书记 and 副书记
    (active accounts), the publisher aside."""
    leads = sa.or_(
        User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == Role.COORDINATOR)),
        User.position.in_((BranchPosition.SECRETARY, BranchPosition.DEPUTY_SECRETARY)),
    )
    return list(
        db.session.scalars(
            sa.select(User.id).where(User.is_active_account.is_(True), User.id != actor.id, leads)
        )
    )
