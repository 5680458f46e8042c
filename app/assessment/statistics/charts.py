"""The statistics page's charts: each one's data (labels and series, as the page's script and the
CSV/XLSX downloads both read it) from one service call."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l

from app.assessment.statistics import buckets, services
from app.core.templating import localtime
from app.membership.rules import STAGES

MONTH_LABELS = [_l("%(m)s月", m=m) for m in range(1, 13)]


@dataclass
class ChartData:
    title: str
    #: ``bar``, ``line`` or ``doughnut``: how the page draws it.
    kind: str
    #: What the first column of the download holds (the x axis).
    axis: str
    labels: list[str]
    #: ``[(series label, values)]``, each as long as ``labels``.
    series: list[tuple[str, list]]
    as_of: str = ""
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "title": self.title,
            "kind": self.kind,
            "labels": self.labels,
            "series": [{"label": label, "values": values} for label, values in self.series],
            "as_of": self.as_of,
        }

    def header(self) -> list[str]:
        return [self.axis, *(label for label, _values in self.series)]

    def rows(self):
        for i, label in enumerate(self.labels):
            yield [label, *(values[i] for _label, values in self.series)]


def _months() -> list[str]:
    return [str(m) for m in MONTH_LABELS]


def _structure(key: str) -> Callable:
    def build(scope, year: int, today: date) -> ChartData:
        dimension = buckets.DIMENSIONS[key]
        rows, as_of = services.member_structure(scope, key, today)
        return ChartData(
            title=str(_l("党员结构：%(d)s", d=dimension.label)),
            kind="doughnut" if len(rows) <= 4 else "bar",
            axis=str(dimension.label),
            labels=[dimension.label_of(k) for k, _n in rows],
            series=[(str(_l("人数")), [n for _k, n in rows])],
            as_of=localtime(as_of) if as_of else str(_l("实时统计")),
        )

    return build


def _changes(scope, year: int, today: date) -> ChartData:
    incoming, outgoing = services.transfers(scope, year)
    return ChartData(
        title=str(_l("%(y)s年党员变动", y=year)),
        kind="bar",
        axis=str(_l("月份")),
        labels=_months(),
        series=[
            (str(_l("新发展党员")), services.new_members(scope, year)),
            (str(_l("转入")), incoming),
            (str(_l("转出")), outgoing),
        ],
    )


def _development(scope, year: int, today: date) -> ChartData:
    by_stage = services.development(scope, year)
    return ChartData(
        title=str(_l("%(y)s年发展党员各阶段办理步骤", y=year)),
        kind="bar",
        axis=str(_l("月份")),
        labels=_months(),
        series=[(str(label), by_stage[key]) for key, label in STAGES],
    )


def _hours(scope, year: int, today: date) -> ChartData:
    return ChartData(
        title=str(_l("%(y)s年每月学时", y=year)),
        kind="line",
        axis=str(_l("月份")),
        labels=_months(),
        series=[(str(_l("学时")), services.hours_by_month(scope, year))],
    )


def _active(scope, year: int, today: date) -> ChartData:
    mondays, counts = services.active_by_week(scope, today)
    return ChartData(
        title=str(_l("近12周每周活跃党员")),
        kind="line",
        axis=str(_l("周（起始日）")),
        labels=[d.isoformat() for d in mondays],
        series=[(str(_l("活跃人数")), counts)],
    )


def _meetings(scope, year: int, today: date) -> ChartData:
    return ChartData(
        title=str(_l("%(y)s年每月召开会议", y=year)),
        kind="bar",
        axis=str(_l("月份")),
        labels=_months(),
        series=[(str(_l("会议数")), services.meetings_by_month(scope, year))],
    )


#: Chart name (in URLs) → builder ``(scope, year, today) -> ChartData``, in the page's order.
CHARTS: dict[str, Callable] = {
    **{f"structure-{key}": _structure(key) for key in buckets.DIMENSIONS},
    "changes": _changes,
    "development": _development,
    "hours": _hours,
    "active": _active,
    "meetings": _meetings,
}
