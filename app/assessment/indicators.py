"""The computed indicator kinds: each a named function giving, per 党支部 under a subtree, the figure
its value is computed from, and a formula text that everyone assessed sees.

Every figure comes from the owning domain's own per-branch function (``figures`` modules of records,
courses' assignment tallies, branchlife, portal, quiz): assessment reads no other domain's tables. Each
is one or a few grouped SQL queries over the whole subtree, whatever the number of members.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.branchlife import figures as branchlife_figures
from app.membership import figures as membership_figures
from app.org.models import Branch
from app.org.services import active_member_counts
from app.portal import figures as portal_figures
from app.quiz import figures as quiz_figures
from app.records import figures as records_figures
from app.records import sources as records_sources

MANUAL = "manual"


@dataclass(frozen=True)
class Period:
    """The scheme's period as the figures need it; ``today`` caps figures of a period not yet over."""

    year: int
    starts_on: date
    ends_on: date
    today: date

    @property
    def as_of(self) -> date:
        return min(self.ends_on, self.today)

    @property
    def share_of_year(self) -> Decimal:
        """The part of the yearly 学时 target a half-year asks for (the first half: half of it)."""
        return Decimal("0.5") if self.ends_on.month == 6 else Decimal(1)


#: ``(prefix, period) → {branch_id: (numerator, denominator)}``
Figures = Callable[[str, Period], dict[int, tuple[int, int]]]


@dataclass(frozen=True)
class Kind:
    key: str
    label: object
    formula: object
    figures: Figures


def _hours_on_target(prefix: str, period: Period) -> dict:
    return records_figures.members_on_target(prefix, period.year, period.today, period.share_of_year)


def _course_completion(prefix: str, period: Period) -> dict:
    conditions = [User.is_active_account.is_(True)]
    if prefix:
        conditions.append(User.branch_id.in_(sa.select(Branch.id).where(Branch.subtree_filter(prefix))))
    figures: dict[int, tuple[int, int]] = {}
    for tally in records_sources.assigned_courses(period.as_of, conditions).tallies:
        done, pairs = figures.get(tally.branch_id, (0, 0))
        figures[tally.branch_id] = (done + tally.completed, pairs + tally.pairs)
    return figures


def _meetings(prefix: str, period: Period) -> dict:
    return branchlife_figures.meetings_compliance(prefix, period.year, period.as_of)


def _review_held(prefix: str, period: Period) -> dict:
    finished = branchlife_figures.reviews_finished(prefix, period.year)
    return {branch_id: (1 if branch_id in finished else 0, 1) for branch_id in active_member_counts(prefix)}


def _notice_receipts(prefix: str, period: Period) -> dict:
    return portal_figures.receipts(prefix, period.starts_on, period.ends_on)


def _contest_participation(prefix: str, period: Period) -> dict:
    taking_part = quiz_figures.contest_participants(prefix, period.starts_on, period.ends_on)
    return {bid: (min(taking_part.get(bid, 0), n), n) for bid, n in active_member_counts(prefix).items()}


def _steps_on_time(prefix: str, period: Period) -> dict:
    return membership_figures.steps_on_time(prefix, period.starts_on, period.as_of)


KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in (
        Kind(
            "hours_target",
            _l("学时达标率"),
            _l("本期学时达到年度目标（半年考核为目标的一半）的在册党员数 ÷ 在册党员数"),
            _hours_on_target,
        ),
        Kind(
            "course_completion",
            _l("指派课程完成率"),
            _l("已完成的指派课程人次 ÷ 指派课程总人次（截至考核期末）"),
            _course_completion,
        ),
        Kind(
            "meeting_compliance",
            _l("三会一课落实率"),
            _l("已开会议数（每类会议计至应开数为止）÷ 截至考核期末应开会议数"),
            _meetings,
        ),
        Kind(
            "review_held",
            _l("民主评议开展"),
            _l("本年度民主评议已完成并记录等次记 1，否则记 0"),
            _review_held,
        ),
        Kind(
            "notice_receipts",
            _l("党务公开回执率"),
            _l("本期需回执通知的已回执人次 ÷ 应回执人次（在册党员数 × 发给本支部的通知数）"),
            _notice_receipts,
        ),
        Kind(
            "development_on_time",
            _l("发展党员按时办理率"),
            _l(
                "本期按时办理的发展步骤数 ÷（本期办理的步骤数 + 本期到期仍未办理的步骤数）；"
                "逾期提醒过或经组织员越规办理的步骤不算按时"
            ),
            _steps_on_time,
        ),
        Kind(
            "contest_participation",
            _l("竞赛参与率"),
            _l("本期至少完成一次知识竞赛的党员数 ÷ 在册党员数"),
            _contest_participation,
        ),
    )
}


def choices() -> list[tuple[str, str]]:
    return [(key, str(kind.label)) for key, kind in KINDS.items()] + [(MANUAL, str(_l("人工评分")))]


def label(key: str) -> str:
    return str(KINDS[key].label) if key in KINDS else str(_l("人工评分"))


def formula(key: str) -> str:
    if key in KINDS:
        return str(KINDS[key].formula)
    return str(_l("组织员评分（0 至权重分），须附评语和佐证材料"))
