"""How courses and their lessons become search documents: published courses only (drafts and
archived courses are not searchable), and the lessons of published courses."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from app.core.text import plain_text
from app.core.urls import site_path
from app.extensions import db
from courses.models import Course, CourseStatus, Lesson
from search_index import Adapter, SearchDocument, Visibility, register

_VISIBILITY = {
    CourseStatus.PUBLISHED: Visibility.PUBLIC,
    CourseStatus.DRAFT: Visibility.DRAFT,
    CourseStatus.ARCHIVED: Visibility.ARCHIVED,
}


def course_document(course: Course) -> SearchDocument:
    return SearchDocument(
        type="course",
        id=course.id,
        title=course.title,
        body=plain_text(course.summary),
        tags=[*course.tag_list, course.category_label, course.kind_label],
        url=site_path("courses.course_detail", course_id=course.id),
        updated_at=course.updated_at,
        visibility=_VISIBILITY.get(course.status, Visibility.HIDDEN),
        owner_id=course.owner_id,
    )


def lesson_document(lesson: Lesson) -> SearchDocument:
    course = lesson.course
    return SearchDocument(
        type="lesson",
        id=lesson.id,
        title=lesson.title,
        body=plain_text(lesson.body),
        tags=[lesson.kind_label],
        url=site_path("courses.lesson", lesson_id=lesson.id),
        # A lesson is searchable while its course is: the later of the two changes counts.
        updated_at=max(lesson.updated_at, course.updated_at),
        visibility=_VISIBILITY.get(course.status, Visibility.HIDDEN),
        parent=f"course:{course.id}",
    )


def _load_lessons(ids: list[int]):
    return db.session.scalars(
        sa.select(Lesson).options(joinedload(Lesson.course)).where(Lesson.id.in_(ids))
    ).unique()


def _lesson_stamps():
    changed = sa.case((Lesson.updated_at > Course.updated_at, Lesson.updated_at), else_=Course.updated_at)
    return sa.select(Lesson.id, changed).join(Course, Lesson.course_id == Course.id)


def _lessons_of_courses(course_ids: list[int]) -> list[int]:
    return list(db.session.scalars(sa.select(Lesson.id).where(Lesson.course_id.in_(course_ids))))


# Alike in shape to kb's and qa's register_search: each registers its own adapters.
def register_search() -> None:
    """Make these rows searchable (called from the domain's ``init_app``)."""
    register(Adapter(type="course", label=_l("课程"), model=Course, to_document=course_document, order=10))
    register(
        Adapter(
            type="lesson",
            label=_l("课时"),
            model=Lesson,
            to_document=lesson_document,
            load=_load_lessons,
            stamps=_lesson_stamps,
            follows={Course: _lessons_of_courses},
            order=20,
        )
    )
