"""The 发展党员 procedure as data: stages, the steps of each, and the named rules a step must keep.

A rule is checked when a step is recorded; a step that breaks one is refused with the rule's name
and the date it allows (a coordinator may set rules aside with a written reason). Rules with a
latest date also give a step its deadline on the person's timeline.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from app.accounts.models import MemberCategory


@dataclass(frozen=True)
class Rule:
    """A named rule of one step.

    ``kind``: ``after`` (at least ``months``/``days``/``working_days`` after step ``since``),
    ``within`` (at most ``months``/``days`` after ``since``), ``votes`` (a majority of those present
    voted for), ``hours`` (at least ``hours`` 学时 in the ledger since step ``since``)."""

    key: str
    name: object  # a lazy string: the name people read in a refusal
    kind: str
    since: str = ""
    months: int = 0
    days: int = 0
    working_days: int = 0
    hours: Decimal | None = None


@dataclass(frozen=True)
class Step:
    key: str
    label: object
    stage: str
    #: who is responsible: ``secretary``, ``contact`` (培养联系人), ``coordinator`` or ``member``
    responsible: str
    rules: tuple[Rule, ...] = field(default_factory=tuple)
    #: the member's category once this step is recorded
    result: MemberCategory | None = None
    needs_votes: bool = False


STAGES = (
    ("applicant", _l("申请入党")),
    ("activist", _l("入党积极分子")),
    ("candidate", _l("发展对象")),
    ("probationary", _l("预备党员")),
    ("full", _l("正式党员")),
)
STAGE_LABELS = dict(STAGES)

RESPONSIBLE_LABELS = {
    "secretary": _l("支部书记"),
    "contact": _l("培养联系人"),
    "coordinator": _l("组织员"),
    "member": _l("本人"),
}

#: 集中培训: the 学时 a 发展对象 needs; the ``MEMBERSHIP_TRAINING_HOURS`` setting overrides it.
DEFAULT_TRAINING_HOURS = Decimal(24)


# Over 80 lines on purpose: it is the procedure's table (one Step per line group, in the Party's
# order), not logic; splitting it would scatter the stages a reader checks against the rules.
def _steps() -> tuple[Step, ...]:
    return (
        Step("application", _l("递交入党申请书"), "applicant", "member", result=MemberCategory.APPLICANT),
        Step(
            "talk",
            _l("党组织派人谈话"),
            "applicant",
            "secretary",
            (Rule("talk_within_month", _l("一个月内谈话"), "within", "application", months=1),),
        ),
        Step(
            "activist",
            _l("确定为入党积极分子"),
            "activist",
            "secretary",
            (Rule("activist_after_talk", _l("谈话后确定积极分子"), "after", "talk"),),
            result=MemberCategory.ACTIVIST,
        ),
        Step(
            "contacts",
            _l("指定两名培养联系人"),
            "activist",
            "secretary",
            (Rule("contacts_after_activist", _l("确定积极分子后指定培养联系人"), "after", "activist"),),
        ),
        Step(
            "inspection_1",
            _l("第一次培养考察"),
            "activist",
            "contact",
            (Rule("inspection_half_year_1", _l("每半年培养考察"), "within", "activist", months=6),),
        ),
        Step(
            "inspection_2",
            _l("第二次培养考察"),
            "activist",
            "contact",
            (Rule("inspection_half_year_2", _l("每半年培养考察"), "within", "inspection_1", months=6),),
        ),
        Step(
            "candidate",
            _l("确定为发展对象"),
            "candidate",
            "secretary",
            (
                Rule("candidate_one_year", _l("积极分子培养满一年"), "after", "activist", months=12),
                Rule("candidate_after_inspection", _l("培养考察完成后确定发展对象"), "after", "inspection_2"),
            ),
            result=MemberCategory.CANDIDATE,
        ),
        Step(
            "political_review",
            _l("政治审查"),
            "candidate",
            "coordinator",
            (Rule("review_after_candidate", _l("确定发展对象后政审"), "after", "candidate"),),
        ),
        Step(
            "training",
            _l("集中培训"),
            "candidate",
            "coordinator",
            (
                Rule("training_after_candidate", _l("确定发展对象后集中培训"), "after", "candidate"),
                Rule("training_hours", _l("集中培训学时"), "hours", "activist"),
            ),
        ),
        Step(
            "pre_review",
            _l("上级党委预审"),
            "probationary",
            "coordinator",
            (
                Rule("pre_review_after_review", _l("政审合格后预审"), "after", "political_review"),
                Rule("pre_review_after_training", _l("培训结业后预审"), "after", "training"),
            ),
        ),
        Step(
            "publicity_start",
            _l("公示开始"),
            "probationary",
            "secretary",
            (Rule("publicity_after_pre_review", _l("预审后公示"), "after", "pre_review"),),
        ),
        Step(
            "publicity_end",
            _l("公示结束"),
            "probationary",
            "secretary",
            (
                Rule(
                    "publicity_five_days",
                    _l("公示不少于5个工作日"),
                    "after",
                    "publicity_start",
                    working_days=5,
                ),
            ),
        ),
        Step(
            "assembly_vote",
            _l("支部大会表决"),
            "probationary",
            "secretary",
            (
                Rule("vote_after_publicity", _l("公示期满后表决"), "after", "publicity_end"),
                Rule("assembly_majority", _l("支部大会表决过半数"), "votes"),
            ),
            needs_votes=True,
        ),
        Step(
            "approval",
            _l("上级党委审批"),
            "probationary",
            "coordinator",
            (Rule("approval_within_three_months", _l("三个月内审批"), "within", "assembly_vote", months=3),),
            result=MemberCategory.PROBATIONARY,
        ),
        Step(
            "oath",
            _l("入党宣誓"),
            "probationary",
            "secretary",
            (Rule("oath_after_approval", _l("审批后入党宣誓"), "after", "approval"),),
        ),
        Step(
            "full_application",
            _l("提交转正申请"),
            "full",
            "member",
            (Rule("probation_one_year", _l("预备期满一年"), "after", "assembly_vote", months=12),),
        ),
        # Alike in shape to assembly_vote: the procedure has two votes, each with its own rules.
        Step(
            "full_vote",
            _l("支部大会讨论转正"),
            "full",
            "secretary",
            (
                Rule("full_vote_after_application", _l("转正申请后表决"), "after", "full_application"),
                Rule("full_vote_majority", _l("支部大会表决过半数"), "votes"),
            ),
            needs_votes=True,
        ),
        Step(
            "full_approval",
            _l("上级党委批准转正"),
            "full",
            "coordinator",
            (
                Rule(
                    "full_approval_within_three_months",
                    _l("三个月内审批转正"),
                    "within",
                    "full_vote",
                    months=3,
                ),
            ),
            result=MemberCategory.FULL,
        ),
    )


STEPS: tuple[Step, ...] = _steps()
STEP_BY_KEY = {s.key: s for s in STEPS}
STEP_ORDER = {s.key: i for i, s in enumerate(STEPS)}
RULE_BY_KEY = {r.key: r for s in STEPS for r in s.rules}


# --- date arithmetic -------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_working_day(day: date) -> bool:
    """Monday to Friday (public holidays and 调休 are not known to the platform yet)."""
    return day.weekday() < 5


def working_days_between(start: date, end: date) -> int:
    """Working days from ``start`` to ``end``, both included (a 公示 from Monday to Friday is 5)."""
    days, day = 0, start
    while day <= end:
        days += is_working_day(day)
        day += timedelta(days=1)
    return days


def add_working_days(start: date, count: int) -> date:
    """The day on which a period beginning on ``start`` reaches ``count`` working days."""
    day, seen = start, 0
    while True:
        seen += is_working_day(day)
        if seen >= count:
            return day
        day += timedelta(days=1)


def earliest(rule: Rule, since: date) -> date:
    """The first day an ``after`` rule allows, counted from ``since``."""
    if rule.working_days:
        return add_working_days(since, rule.working_days)
    return add_months(since, rule.months) + timedelta(days=rule.days)


def latest(rule: Rule, since: date) -> date:
    """The last day a ``within`` rule allows (its deadline), counted from ``since``."""
    return add_months(since, rule.months) + timedelta(days=rule.days)
