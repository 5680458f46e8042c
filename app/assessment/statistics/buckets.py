"""Bands and periods as SQL ``CASE`` expressions: the database sorts every row into its bucket and
counts, the same SQL on SQLite and PostgreSQL (plain comparisons, no date functions), and a range
on an indexed column stays a range.

A dimension of the member structure is a column and its buckets in display order, each bucket a key
(stored in the summary table), a label and, for bands, the condition that puts a member in it.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.accounts.models import (
    CATEGORY_LABELS,
    EDUCATION_LABELS,
    GENDER_LABELS,
    POSITION_LABELS,
    User,
)
from app.core.clock import day_starts_at

#: The key of members whose field is empty.
NONE = "none"
NONE_LABEL = _l("未填写")


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class Band:
    key: str
    label: object
    #: Whole years since the date column: lower bound included, upper excluded (None: open).
    low: int | None
    high: int | None


AGE_BANDS = (
    Band("to30", _l("30岁及以下"), None, 31),
    Band("31to40", _l("31至40岁"), 31, 41),
    Band("41to50", _l("41至50岁"), 41, 51),
    Band("51to60", _l("51至60岁"), 51, 61),
    Band("over60", _l("61岁及以上"), 61, None),
)
PARTY_AGE_BANDS = (
    Band("lt5", _l("不满5年"), None, 5),
    Band("5to10", _l("5至10年"), 5, 10),
    Band("10to20", _l("10至20年"), 10, 20),
    Band("20to30", _l("20至30年"), 20, 30),
    Band("ge30", _l("30年及以上"), 30, None),
)


def band_case(column, bands: tuple[Band, ...], today: date):
    """``CASE`` giving the key of the band of whole years between ``column`` (a date) and ``today``.

    Being at least ``n`` years old today is having the date on or before ``today`` ``n`` years ago."""
    whens = []
    for band in bands:
        conditions = []
        if band.low is not None:
            conditions.append(column <= years_before(today, band.low))
        if band.high is not None:
            conditions.append(column > years_before(today, band.high))
        whens.append((sa.and_(*conditions), band.key))
    return sa.case((column.is_(None), NONE), *whens, else_=NONE)


@dataclass(frozen=True)
class Dimension:
    key: str
    label: object
    #: (bucket key, label) in display order, ``none`` last.
    buckets: tuple[tuple[str, object], ...]

    def expression(self, today: date):
        """The bucket key of a ``User`` row, in SQL."""
        if self.key == "age":
            return band_case(User.birth_date, AGE_BANDS, today)
        if self.key == "party_age":
            return band_case(User.joined_party_on, PARTY_AGE_BANDS, today)
        column = getattr(User, self.key)
        return sa.func.coalesce(sa.cast(column, sa.String), NONE)

    def label_of(self, key: str) -> str:
        return str(dict(self.buckets).get(key, key))


def _enum_buckets(labels: dict) -> tuple:
    return (*((member.value, label) for member, label in labels.items()), (NONE, NONE_LABEL))


def _band_buckets(bands: tuple[Band, ...]) -> tuple:
    return (*((b.key, b.label) for b in bands), (NONE, NONE_LABEL))


DIMENSIONS = {
    d.key: d
    for d in (
        Dimension("age", _l("年龄"), _band_buckets(AGE_BANDS)),
        Dimension("gender", _l("性别"), _enum_buckets(GENDER_LABELS)),
        Dimension("education", _l("学历"), _enum_buckets(EDUCATION_LABELS)),
        Dimension("category", _l("人员类别"), _enum_buckets(CATEGORY_LABELS)),
        Dimension("party_age", _l("党龄"), _band_buckets(PARTY_AGE_BANDS)),
        Dimension("position", _l("党内职务"), _enum_buckets(POSITION_LABELS)),
    )
}


# --- periods --------------------------------------------------------------------------------------


def month_starts(year: int) -> list[date]:
    """The first day of each month of ``year`` and of the next January: 13 edges, 12 periods."""
    return [date(year + (m > 12), (m - 1) % 12 + 1, 1) for m in range(1, 14)]


def week_starts(today: date, weeks: int) -> list[date]:
    """Mondays of the last ``weeks`` weeks (this one included) and the Monday after: ``weeks + 1`` edges."""
    this_monday = today - timedelta(days=today.weekday())
    return [this_monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks + 1)]


def as_instants(days: list[date]) -> list[datetime]:
    """Local midnights (Asia/Shanghai) of ``days``, for columns that hold an instant."""
    return [day_starts_at(d) for d in days]


def period_case(column, edges: list):
    """``CASE`` giving the index of the period ``[edges[i], edges[i + 1])`` that ``column`` falls in."""
    return sa.case(
        *((sa.and_(column >= low, column < high), i) for i, (low, high) in enumerate(pairwise(edges))),
        else_=None,
    )


def in_periods(column, edges: list):
    """The WHERE condition matching :func:`period_case`'s whole range (an index range scan)."""
    return sa.and_(column >= edges[0], column < edges[-1])
