"""Lesson lengths, media state, and each lesson's share of the course's 学时."""

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import lazyload, selectinload

from app.core.text import plain_text
from app.extensions import db
from courses.models import Chapter, Course, Lesson, LessonKind, new_shares_version
from courses.services.base import DEFAULT_DOCUMENT_MINUTES
from media_pipeline.models import AssetStatus, MediaAsset

# --- media state, lengths and credit shares -------------------------------------------------------


def assets_for(lessons: Iterable[Lesson], *, with_renditions: bool = True) -> dict[int, MediaAsset]:
    """The media assets of ``lessons`` by asset id, in one query (two with their renditions)."""
    ids = {lesson.media_asset_id for lesson in lessons if lesson.media_asset_id}
    if not ids:
        return {}
    query = sa.select(MediaAsset).where(MediaAsset.id.in_(ids))
    if not with_renditions:
        query = query.options(lazyload(MediaAsset.renditions))
    return {a.id: a for a in db.session.scalars(query)}


def media_state(lesson: Lesson, assets: dict[int, MediaAsset]) -> tuple[str, str]:
    """(state, label) of a media lesson: missing, uploaded, probing, transcoding, ready, failed."""
    asset = assets.get(lesson.media_asset_id) if lesson.media_asset_id else None
    if asset is None:
        return "missing", _("未上传音视频")
    if asset.status == AssetStatus.TRANSCODING:
        return "transcoding", _("转码中 %(percent)s%%", percent=asset.progress)
    if asset.status == AssetStatus.FAILED:
        return "failed", _("转码失败：%(error)s", error=asset.error or _("原因未知"))
    return asset.status.value, str(asset.status_label)


def reading_seconds(lesson: Lesson) -> float:
    if lesson.estimated_minutes:
        return float(lesson.estimated_minutes * 60)
    if lesson.kind == LessonKind.DOCUMENT:
        return float(DEFAULT_DOCUMENT_MINUTES * 60)
    chars = len(plain_text(lesson.body))
    per_minute = current_app.config["COURSES_READING_CHARS_PER_MINUTE"]
    return float(max(60, round(chars / per_minute * 60)))


def lesson_length(lesson: Lesson, assets: dict[int, MediaAsset]) -> float:
    """Seconds: the media's duration (0 until known) or an article's / document's reading time."""
    if lesson.is_media:
        asset = assets.get(lesson.media_asset_id) if lesson.media_asset_id else None
        if asset is not None and asset.duration:
            return float(asset.duration)
        return float(lesson.media_duration or 0.0)
    return reading_seconds(lesson)


def split_hours(total: Decimal, weights: list[float]) -> list[Decimal]:
    """Split ``total`` 学时 in proportion to ``weights``, in hundredths, by the largest-remainder
    method, so the shares add up to ``total`` exactly. Equal shares when every weight is zero."""
    if not weights:
        return []
    cents = int((total * 100).to_integral_value())
    fractions = [Fraction(w) if w > 0 else Fraction(0) for w in weights]
    if sum(fractions) == 0:
        fractions = [Fraction(1)] * len(weights)
    whole = sum(fractions)
    exact = [cents * f / whole for f in fractions]
    floors = [int(x) for x in exact]  # non-negative: int() is the floor
    left = cents - sum(floors)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[:left]:
        floors[i] += 1
    return [Decimal(c).scaleb(-2) for c in floors]


def credit_shares(
    course: Course,
    assets: dict[int, MediaAsset] | None = None,
    lengths: dict[int, float] | None = None,
    lessons: list[Lesson] | None = None,
) -> dict[int, Decimal]:
    """Each lesson's share of the course's 学时: the trainer's share where set; the rest of the
    course's hours split among the other lessons by length (largest remainder, to 0.01).
    Callers that already hold the lessons, assets or lengths pass them to save the work."""
    lessons = lessons if lessons is not None else course.lessons()
    assets = assets if assets is not None else assets_for(lessons)
    shares = {lesson.id: lesson.credit_share for lesson in lessons if lesson.credit_share is not None}
    rest = [lesson for lesson in lessons if lesson.credit_share is None]
    pool = max(Decimal("0"), course.credit_hours - sum(shares.values(), Decimal("0")))
    weights = [lengths[x.id] if lengths is not None else lesson_length(x, assets) for x in rest]
    for lesson, share in zip(rest, split_hours(pool, weights)):
        shares[lesson.id] = share
    return shares


# --- the shares handed to records, cached per course version ----------------------------------------
#
# A heartbeat must not read the whole course. The shares depend on the course's 学时, its lessons
# (their order, shares set by the trainer, kinds, bodies, reading times, media) and their media's
# durations, so every flush that may change one of those gives the course a fresh
# ``shares_version`` (:func:`bump_shares_versions`, a ``before_flush`` listener wired by
# ``connect()``); the lesson facts read that stamp in the query they already make, and the shares
# are computed once per (course id, stamp) per process. The stamp lives in the database, so every
# web and worker process sees a change at once; a random stamp cannot come back after a rollback
# or when SQLite reuses a deleted course's id.


@dataclass(frozen=True)
class CourseShares:
    """One version of a course, as records sees it: immutable, safe to share between requests."""

    credit_hours: Decimal
    shares: Mapping[int, Decimal]  # lesson id → its share of ``credit_hours``
    lengths: Mapping[int, float]  # lesson id → seconds (media length or reading time)


_CACHE_SIZE = 1024
_cache: OrderedDict[tuple[int, str], CourseShares] = OrderedDict()
_cache_lock = threading.Lock()


def _course_with_lessons(course_id: int) -> Course | None:
    return db.session.get(
        Course,
        course_id,
        options=[
            lazyload(Course.owner),
            lazyload(Course.co_trainers),
            selectinload(Course.chapters).selectinload(Chapter.lessons),
        ],
    )


def shares_of(course_id: int, version: str) -> CourseShares:
    """The course's shares and lesson lengths at ``version`` (read from the course's row)."""
    key = (course_id, version)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    course = _course_with_lessons(course_id)
    lessons = course.lessons()
    assets = assets_for(lessons, with_renditions=False)
    lengths = {lesson.id: lesson_length(lesson, assets) for lesson in lessons}
    value = CourseShares(
        credit_hours=course.credit_hours,
        shares=MappingProxyType(credit_shares(course, assets, lengths, lessons)),
        lengths=MappingProxyType(lengths),
    )
    with _cache_lock:
        _cache[key] = value
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return value


def clear_shares_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _restamp(connection, course_ids) -> None:
    course = Course.__table__
    connection.execute(
        sa.update(course).where(course.c.id.in_(course_ids)).values(shares_version=new_shares_version())
    )


def _on_course_write(_mapper, _connection, course: Course) -> None:
    course.shares_version = new_shares_version()  # its 学时 (or anything else) changed


def _on_part_write(_mapper, connection, part: Chapter | Lesson) -> None:
    if part.course_id is not None:  # a lesson or chapter added, edited, moved or deleted
        _restamp(connection, [part.course_id])


def _on_asset_update(_mapper, connection, asset: MediaAsset) -> None:
    if sa.inspect(asset).attrs.duration.history.has_changes():  # a lesson's length changed
        lesson = Lesson.__table__
        _restamp(connection, sa.select(lesson.c.course_id).where(lesson.c.media_asset_id == asset.id))


_LISTENERS = [
    (Course, "before_update", _on_course_write),
    *[
        (model, event, _on_part_write)
        for model in (Chapter, Lesson)
        for event in ("after_insert", "after_update", "after_delete")
    ],
    (MediaAsset, "after_update", _on_asset_update),
]


def listen_for_share_changes() -> None:
    """Give a course a fresh ``shares_version`` whenever a row its shares depend on is written.
    Mapper events, so that a flush of other rows (a heartbeat's progress) runs no courses code."""
    for model, event, listener in _LISTENERS:
        if not sa.event.contains(model, event, listener):
            sa.event.listen(model, event, listener)
