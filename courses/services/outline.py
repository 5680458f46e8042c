"""Reading courses: the catalog, a course's outline, my learning, the trainer's lists."""

# Import block alike to authoring's: each module names what it uses.
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.extensions import db
from courses.models import (
    CATEGORIES,
    Chapter,
    Course,
    CourseKind,
    CourseStatus,
    CourseTrainer,
    Enrollment,
    Lesson,
    LessonKind,
)
from courses.services.enrolment import progress_for
from courses.services.shares import assets_for, credit_shares, lesson_length, media_state
from media_pipeline.models import AssetStatus, MediaAsset

# --- catalog, course page, my learning ------------------------------------------------------------


SORTS = {"newest": _l("最新发布"), "popular": _l("学习人数最多")}


def catalog_query_from(args) -> sa.Select:
    """:func:`catalog_query` from a page's or an API call's query arguments (the same filters)."""
    return catalog_query(
        category=args.get("category"),
        required=args.get("required"),
        kind=args.get("kind"),
        q=args.get("q"),
        tag=args.get("tag"),
        sort=args.get("sort", "newest"),
    )


def catalog_query(
    *,
    category: str | None = None,
    required: str | None = None,
    kind: str | None = None,
    q: str | None = None,
    tag: str | None = None,
    sort: str = "newest",
):
    """Published courses, filtered and sorted (``popular``: most enrolled first)."""
    query = sa.select(Course).where(Course.status == CourseStatus.PUBLISHED)
    if category in CATEGORIES:
        query = query.where(Course.category == category)
    if required in ("1", "0"):
        query = query.where(Course.is_required.is_(required == "1"))
    if kind in {k.value for k in CourseKind}:
        query = query.where(Course.kind == kind)
    if tag:
        query = query.where(Course.tags.contains(f",{tag.strip()},", autoescape=True))
    if q and q.strip():
        words = q.strip()[:50]
        query = query.where(
            sa.or_(
                Course.title.contains(words, autoescape=True),
                Course.summary.contains(words, autoescape=True),
                Course.tags.contains(words, autoescape=True),
            )
        )
    if sort == "popular":  # the enrolment counts are joined only when they decide the order
        counts = (
            sa.select(Enrollment.course_id, sa.func.count().label("n"))
            .group_by(Enrollment.course_id)
            .subquery()
        )
        learners = sa.func.coalesce(counts.c.n, 0)
        query = query.outerjoin(counts, counts.c.course_id == Course.id).order_by(
            learners.desc(), Course.published_at.desc(), Course.id.desc()
        )
    else:
        query = query.order_by(Course.published_at.desc(), Course.id.desc())
    return query


def learner_counts(course_ids: list[int]) -> dict[int, int]:
    """Members enrolled in each course, in one grouped query."""
    if not course_ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(Enrollment.course_id, sa.func.count())
            .where(Enrollment.course_id.in_(course_ids))
            .group_by(Enrollment.course_id)
        ).all()
    )


@dataclass
class LessonRow:
    lesson: Lesson
    length: float
    progress: object | None  # records' LessonProgressView
    state: str  # for media lessons: ready, transcoding, failed, missing...
    state_label: str

    @property
    def percent(self) -> int:
        return round(100 * self.progress.covered_ratio) if self.progress else 0

    @property
    def completed(self) -> bool:
        return bool(self.progress and self.progress.completed)


@dataclass
class Outline:
    course: Course
    chapters: list[tuple[Chapter, list[LessonRow]]]
    shares: dict[int, Decimal]
    #: The lessons' media assets by id, as loaded for the rows (kept: see :meth:`asset_of`).
    assets: dict[int, MediaAsset] = field(default_factory=dict)

    def asset_of(self, lesson: Lesson) -> MediaAsset | None:
        """``lesson``'s media asset, loaded with the outline: a page that shows the outline and plays
        the lesson loads the asset and its renditions once."""
        return self.assets.get(lesson.media_asset_id) if lesson.media_asset_id else None

    @property
    def rows(self) -> list[LessonRow]:
        return [row for _chapter, rows in self.chapters for row in rows]

    @property
    def completed_count(self) -> int:
        return sum(1 for row in self.rows if row.completed)

    @property
    def percent(self) -> int:
        rows = self.rows
        return round(100 * self.completed_count / len(rows)) if rows else 0

    def neighbours(self, lesson_id: int) -> tuple[Lesson | None, Lesson | None]:
        """The lessons before and after ``lesson_id`` in the course's order (from the rows already
        loaded: no query per chapter)."""
        lessons = [row.lesson for row in self.rows]
        index = next(i for i, x in enumerate(lessons) if x.id == lesson_id)
        return (
            lessons[index - 1] if index > 0 else None,
            lessons[index + 1] if index + 1 < len(lessons) else None,
        )

    def resume_row(self, last_lesson_id: int | None) -> LessonRow | None:
        """The lesson to continue with: the one opened last unless complete, else the first not complete."""
        rows = self.rows
        last = next((r for r in rows if r.lesson.id == last_lesson_id), None)
        if last is not None and not last.completed:
            return last
        return next((r for r in rows if not r.completed), last or (rows[0] if rows else None))


def course_outline(course: Course, user_id: int | None) -> Outline:
    """Chapters and lessons with lengths, media state and (for a member) progress: a few queries."""
    chapters = db.session.scalars(
        sa.select(Chapter).where(Chapter.course_id == course.id).order_by(Chapter.position)
    ).all()
    lessons = db.session.scalars(
        sa.select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.position, Lesson.id)
    ).all()
    assets = assets_for(lessons)
    progress = progress_for(user_id, [lesson.id for lesson in lessons]) if user_id else {}
    by_chapter: dict[int, list[LessonRow]] = {c.id: [] for c in chapters}
    lengths = {lesson.id: lesson_length(lesson, assets) for lesson in lessons}
    for lesson in lessons:
        state, label = media_state(lesson, assets) if lesson.is_media else ("ready", "")
        by_chapter[lesson.chapter_id].append(
            LessonRow(lesson, lengths[lesson.id], progress.get(lesson.id), state, label)
        )
    ordered = [row.lesson for c in chapters for row in by_chapter[c.id]]
    shares = credit_shares(course, assets, lengths, ordered)
    return Outline(course, [(c, by_chapter[c.id]) for c in chapters], shares, assets)


@dataclass
class MyCourse:
    course: Course
    enrollment: Enrollment
    lessons_total: int
    lessons_done: int
    due_on: object | None = None  # date of the earliest assignment naming this course

    @property
    def percent(self) -> int:
        return round(100 * self.lessons_done / self.lessons_total) if self.lessons_total else 0


def my_courses(user: User) -> list[MyCourse]:
    """Every course ``user`` is enrolled in, most recently opened first, with lesson progress and
    the due date of any assignment: a fixed number of queries whatever the number of courses."""
    from courses.assignments import due_dates_for

    enrollments = db.session.scalars(
        sa.select(Enrollment)
        .where(Enrollment.user_id == user.id)
        .order_by(sa.func.coalesce(Enrollment.last_accessed_at, Enrollment.enrolled_at).desc())
    ).all()
    if not enrollments:
        return []
    course_ids = [e.course_id for e in enrollments]
    lesson_rows = db.session.execute(
        sa.select(Lesson.id, Lesson.course_id).where(Lesson.course_id.in_(course_ids))
    ).all()
    progress = progress_for(user.id, [row.id for row in lesson_rows])
    totals: dict[int, int] = {}
    done: dict[int, int] = {}
    for lesson_id, course_id in lesson_rows:
        totals[course_id] = totals.get(course_id, 0) + 1
        view = progress.get(lesson_id)
        if view is not None and view.completed:
            done[course_id] = done.get(course_id, 0) + 1
    dues = due_dates_for(user.id, course_ids)
    return [
        MyCourse(e.course, e, totals.get(e.course_id, 0), done.get(e.course_id, 0), dues.get(e.course_id))
        for e in enrollments
    ]


def trainer_courses_query(user: User):
    """Courses ``user`` owns or co-teaches (every course for admins), newest first."""
    query = sa.select(Course).order_by(Course.updated_at.desc(), Course.id.desc())
    if not user.is_admin:
        co = sa.select(CourseTrainer.course_id).where(CourseTrainer.user_id == user.id)
        query = query.where(sa.or_(Course.owner_id == user.id, Course.id.in_(co)))
    return query


def pending_media_lessons(user: User, limit: int = 20) -> list[tuple[Lesson, MediaAsset | None]]:
    """Video and audio lessons of ``user``'s courses that are not playable yet (transcoding,
    failed, or with nothing uploaded), for the trainer's home page."""
    course_ids = sa.select(trainer_courses_query(user).subquery().c.id)
    rows = db.session.execute(
        sa.select(Lesson, MediaAsset)
        .outerjoin(MediaAsset, MediaAsset.id == Lesson.media_asset_id)
        .where(
            Lesson.course_id.in_(course_ids),
            Lesson.kind.in_([LessonKind.VIDEO, LessonKind.AUDIO]),
            sa.or_(MediaAsset.id.is_(None), MediaAsset.status != AssetStatus.READY),
        )
        .order_by(Lesson.updated_at.desc())
        .limit(limit)
    ).all()
    return [(lesson, asset) for lesson, asset in rows]
