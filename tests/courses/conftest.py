"""Fixtures for the courses tests: people, ready media assets (rows only, no transcoding), courses."""

from datetime import UTC, datetime

import pytest
import time_machine

from app.core.signals import notification_requested
from app.extensions import db
from courses import files, services
from media_pipeline.models import AssetStatus, MediaAsset, MediaRendition, RenditionKind


@pytest.fixture
def trainer(create_user):
    return create_user("trainer", "member", name="王讲师")


@pytest.fixture
def member(create_user):
    return create_user("member", name="李学员")


@pytest.fixture
def make_asset():
    """``make_asset(owner, duration=120.0, status="ready", audio_only=False)`` → a MediaAsset row as
    the pipeline leaves it (no files: pages and services only read the row)."""

    def factory(owner, duration=120.0, status=AssetStatus.READY, audio_only=False, progress=0, error=None):
        asset = MediaAsset(
            owner_id=owner.id,
            status=AssetStatus(status),
            progress=100 if status == AssetStatus.READY else progress,
            error=error,
            original_filename="党课录像.mp4",
            original_size=1000,
            duration=duration,
            has_video=not audio_only,
            has_audio=True,
            display_width=None if audio_only else 1280,
            display_height=None if audio_only else 720,
        )
        if status == AssetStatus.READY:
            asset.output_dir = f"assets/0/1700000000-{'ab' * 6}"
            asset.master_playlist = "master.m3u8"
            asset.poster = None if audio_only else "poster.jpg"
            asset.renditions = (
                [
                    MediaRendition(
                        kind=RenditionKind.HLS, height=None, bandwidth=128000, path="audio/index.m3u8"
                    )
                ]
                if audio_only
                else [
                    MediaRendition(
                        kind=RenditionKind.HLS, height=360, bandwidth=800000, path="360p/index.m3u8"
                    ),
                    MediaRendition(
                        kind=RenditionKind.HLS, height=720, bandwidth=2800000, path="720p/index.m3u8"
                    ),
                    MediaRendition(
                        kind=RenditionKind.MP4, height=720, bandwidth=2000000, path="fallback.mp4"
                    ),
                ]
            )
        db.session.add(asset)
        db.session.commit()
        return asset

    return factory


@pytest.fixture
def make_course(make_asset):
    """``make_course(owner, lessons=[("video", 120), ("article", None)], publish=True, **fields)``
    → a course with one chapter holding those lessons (video/audio lessons get a ready asset)."""

    def factory(owner, lessons=(("video", 120.0),), publish=True, title="学习贯彻党的二十大精神", **fields):
        data = services.CourseData(title=title, **fields)
        course = services.create_course(data, owner)
        chapter = services.add_chapter(course, "第一讲", owner)
        for index, (kind, length) in enumerate(lessons, start=1):
            asset_id = make_asset(owner, duration=length).id if kind in ("video", "audio") else None
            services.create_lesson(
                chapter,
                services.LessonData(
                    title=f"课时{index}",
                    kind=kind,
                    media_asset_id=asset_id,
                    body="学习内容。" * 50 if kind == "article" else "",
                    estimated_minutes=int(length / 60)
                    if kind in ("article", "document") and length
                    else None,
                ),
                owner,
            )
            if kind == "document":
                services.set_lesson_document(
                    chapter.lessons[-1],
                    files.StoredFile("courses/documents/x.pdf", "x.pdf", 10),
                    owner,
                )
        if publish:
            services.publish_course(course, owner)
        db.session.commit()
        return course

    return factory


@pytest.fixture
def notifications():
    """Every notification_requested sent during the test: a list of dicts."""
    sent = []

    def receiver(sender, **kwargs):
        sent.append({"sender": sender, **kwargs})

    notification_requested.connect(receiver)
    yield sent
    notification_requested.disconnect(receiver)


@pytest.fixture
def travel():
    """``with travel(datetime(...)):`` moves the clock (time-machine), ticking."""

    def factory(when: datetime):
        return time_machine.travel(when.astimezone(UTC), tick=True)

    return factory
