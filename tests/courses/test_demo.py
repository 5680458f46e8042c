"""``flask seed-demo`` adds living courses: real, transcoded media and articles, a class, an assignment."""

import sqlalchemy as sa

from app.extensions import db
from courses.models import (
    ClassSession,
    Course,
    CourseAssignment,
    CourseKind,
    CourseStatus,
    Lesson,
    LessonKind,
)
from media_pipeline.models import AssetStatus, MediaAsset
from tests.helpers import count


def test_seed_demo_creates_published_courses_with_transcoded_media(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "4 门课程" in result.output
    db.session.expire_all()
    courses = db.session.scalars(sa.select(Course)).all()
    assert len(courses) == 4
    assert all(c.status == CourseStatus.PUBLISHED for c in courses)
    assert {c.is_required for c in courses} == {True, False}
    assert {c.kind for c in courses} == {CourseKind.MOOC, CourseKind.FLIPPED}
    media = db.session.scalars(
        sa.select(Lesson).where(Lesson.kind.in_([LessonKind.VIDEO, LessonKind.AUDIO]))
    ).all()
    assert len(media) == 5  # four videos and an audio lesson
    assert len({lesson.media_asset_id for lesson in media}) == 5  # each lesson its own slides and narration
    for lesson in media:
        asset = db.session.get(MediaAsset, lesson.media_asset_id)
        assert asset.status == AssetStatus.READY
        assert asset.master_playlist
        assert abs(asset.duration - 2) < 0.5
    assert count(Lesson, Lesson.kind == LessonKind.ARTICLE) == 4
    assert count(ClassSession) == 2  # one this week, its follow-up the next
    assert count(CourseAssignment) == 1

    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0
    assert "0 门课程" in again.output
    db.session.expire_all()
    assert count(Course) == 4
    assert count(MediaAsset) == 5
