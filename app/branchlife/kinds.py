"""The kinds of organisation life and the rules for each (frequency and 学时 come from settings)."""

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

KINDS = {
    "general_assembly": _l("支部党员大会"),
    "committee": _l("支委会"),
    "group": _l("党小组会"),
    "lecture": _l("党课"),
    "theme_day": _l("主题党日"),
    "life_meeting": _l("组织生活会"),
    "review": _l("民主评议党员"),
    "talk": _l("谈心谈话"),
}

#: Not a kind of meeting but a rule of its own on the board: 党课 given by the branch's 书记.
SECRETARY_LECTURE = "lecture_by_secretary"
RULE_LABELS = {SECRETARY_LECTURE: _l("书记讲党课")}

#: Kind names records used before this domain existed (migration 0016 renames them).
OLD_KINDS = {"assembly": "general_assembly", "lesson": "lecture"}

PERIODS = {"month": 12, "quarter": 4, "year": 1}
PERIOD_LABELS = {"month": _l("每月"), "quarter": _l("每季度"), "year": _l("每年")}


@dataclass(frozen=True)
class Rule:
    kind: str
    period: str  # month | quarter | year
    at_least: int


def label(kind: str) -> str:
    return str(KINDS.get(kind) or RULE_LABELS.get(kind) or kind)


def rules() -> list[Rule]:
    """The required frequency of each kind that has one, in the order of :data:`KINDS`."""
    configured = current_app.config["BRANCHLIFE_REQUIRED"]
    result = [
        Rule(kind, configured[kind][0], int(configured[kind][1]))
        for kind in KINDS
        if kind in configured and configured[kind][0] in PERIODS
    ]
    by_secretary = int(current_app.config.get("BRANCHLIFE_SECRETARY_LECTURES") or 0)
    if by_secretary > 0:
        at = next((i + 1 for i, r in enumerate(result) if r.kind == "lecture"), len(result))
        result.insert(at, Rule(SECRETARY_LECTURE, "year", by_secretary))
    return result


def minutes_per_unit(kind: str) -> int:
    """Minutes of this kind of meeting that make one 学时."""
    per_kind = current_app.config.get("BRANCHLIFE_MINUTES_PER_UNIT") or {}
    return int(per_kind.get(kind) or current_app.config["HOURS_MINUTES_PER_UNIT"])
