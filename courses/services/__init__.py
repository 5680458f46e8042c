"""Courses: access, authoring, publishing, enrolment, the catalog, my learning, lesson facts.

Services validate, change, flush, audit and signal; the caller commits. Assignments, flipped
classes and the discussion have their own modules (:mod:`courses.assignments`,
:mod:`courses.classes`, :mod:`courses.discussion`).

Who may take a lesson (the rule :func:`lesson_facts_for` applies for the progress API): a member
enrolled in the lesson's course, while the course is published or archived. Opening a lesson page
of a published course enrols the member first ("start learning" is enrolment), and so does the
course page's button and ``POST /api/v1/courses/<id>/enrol``. Drafts are seen by their trainers
only, who preview them without taking them (no progress, no hours). Archived courses leave the
catalog, but members already enrolled may still finish them.

This package is split by responsibility (base, access, authoring, shares, publishing, enrolment,
outline, receivers); the names below are re-exported for the many callers (views, the API, tests)
that say ``services.enrol(...)``. Code inside ``courses`` imports from the module that owns a name.
"""

from courses.services.access import (  # noqa: F401 -- re-exported
    can_see_course,
    can_take,
    can_view_lesson_media,
    enrollment_for,
    get_chapter_for,
    get_course_for,
    get_lesson_for,
)
from courses.services.authoring import (  # noqa: F401 -- re-exported
    CREDIT_HOURS_CHANGED,
    CourseData,
    LessonData,
    add_chapter,
    add_co_trainer,
    create_course,
    create_lesson,
    credit_hours_changes,
    delete_chapter,
    delete_lesson,
    move_chapter,
    move_lesson,
    remove_co_trainer,
    rename_chapter,
    set_cover,
    set_lesson_captions,
    set_lesson_document,
    update_course,
    update_lesson,
)
from courses.services.base import (  # noqa: F401 -- re-exported
    DEFAULT_DOCUMENT_MINUTES,
    TITLE_MAX,
    CourseError,
)
from courses.services.enrolment import (  # noqa: F401 -- re-exported
    TEACHERS_EARN_NOTHING,
    complete_enrollment_if_done,
    course_completions,
    enrol,
    lesson_facts_for,
    note_lesson_opened,
    progress_for,
)
from courses.services.outline import (  # noqa: F401 -- re-exported
    SORTS,
    LessonRow,
    MyCourse,
    Outline,
    catalog_query,
    catalog_query_from,
    course_outline,
    learner_counts,
    my_courses,
    pending_media_lessons,
    trainer_courses_query,
)
from courses.services.publishing import (  # noqa: F401 -- re-exported
    SharesDisagree,
    archive_course,
    check_shares,
    publish_course,
    publish_problems,
    share_problem,
)
from courses.services.receivers import (  # noqa: F401 -- re-exported
    connect,
    on_lesson_completed,
    on_media_failed,
    on_media_ready,
)
from courses.services.shares import (  # noqa: F401 -- re-exported
    CourseShares,
    assets_for,
    clear_shares_cache,
    credit_shares,
    lesson_length,
    media_state,
    reading_seconds,
    shares_of,
    split_hours,
)
