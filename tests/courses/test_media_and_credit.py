"""Courses and the media pipeline (signals, the viewer hook, a real upload) and the split of 学时."""

import subprocess
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from courses import services
from courses.models import Course, CourseStatus, Lesson
from media_pipeline import services as media_services
from media_pipeline.models import AssetStatus, MediaAsset


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        ("1.00", [1, 1, 1], ["0.34", "0.33", "0.33"]),
        ("2.00", [600, 300, 100], ["1.20", "0.60", "0.20"]),
        ("1.00", [0, 0], ["0.50", "0.50"]),
        ("0.05", [10, 10, 10, 10, 10, 10], ["0.01", "0.01", "0.01", "0.01", "0.01", "0.00"]),
        ("3.00", [], []),
    ],
)
def test_split_hours_adds_up_exactly(total, weights, expected):
    shares = services.split_hours(Decimal(total), weights)
    assert [str(s) for s in shares] == expected
    if weights:
        assert sum(shares) == Decimal(total)


def test_credit_shares_keep_the_trainers_share_and_split_the_rest(trainer, make_course):
    course = make_course(
        trainer, lessons=[("video", 600), ("video", 300), ("article", 300)], credit_hours="3.00"
    )
    first, second, third = course.lessons()
    first.credit_share = Decimal("2.00")
    db.session.flush()
    shares = services.credit_shares(course)
    assert shares == {first.id: Decimal("2.00"), second.id: Decimal("0.50"), third.id: Decimal("0.50")}
    first.credit_share = Decimal("3.50")
    assert any("超过了课程学时" in p for p in services.publish_problems(course))


def test_media_ready_and_failed_update_lessons_and_tell_the_trainers(
    trainer, make_course, make_asset, notifications
):
    course = make_course(trainer, lessons=[], publish=False)
    asset = make_asset(trainer, status=AssetStatus.TRANSCODING)
    lesson = services.create_lesson(
        course.chapters[0], services.LessonData("新课", "video", media_asset_id=asset.id), trainer
    )
    db.session.commit()
    assert lesson.media_duration is None
    asset.status = AssetStatus.READY
    from app.core.signals import media_failed, media_ready

    media_ready.send(asset, asset_id=asset.id)
    assert lesson.media_duration == 120.0
    assert notifications[-1]["kind"] == "course.media_ready"
    assert notifications[-1]["user_ids"] == [trainer.id]
    media_failed.send(asset, asset_id=asset.id, error="不是音视频文件")
    assert notifications[-1]["kind"] == "course.media_failed"
    assert "不是音视频文件" in notifications[-1]["body"]


def test_viewer_hook_admits_trainers_and_enrolled_members_only(trainer, member, create_user, make_course):
    course = make_course(trainer)
    asset = db.session.get(MediaAsset, course.lessons()[0].media_asset_id)
    helper = create_user("trainer")
    assert media_services.can_view_asset(member, asset) is False
    services.enrol(course, member)
    assert media_services.can_view_asset(member, asset) is True
    assert media_services.can_view_asset(helper, asset) is False
    services.add_co_trainer(course, helper, trainer)
    assert media_services.can_view_asset(helper, asset) is True


@pytest.fixture(scope="module")
def tiny_video(tmp_path_factory):
    path = tmp_path_factory.mktemp("courses-media") / "党课.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-y",
         "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:v", "libx264", "-preset", "ultrafast",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)],
        check=True,
    )  # fmt: skip
    return path


def test_a_real_upload_through_the_pipeline_becomes_a_publishable_lesson(
    client, login, trainer, make_course, tiny_video
):
    course = make_course(trainer, lessons=[], publish=False)
    login(trainer)
    data = tiny_video.read_bytes()
    started = client.post("/media/uploads", json={"filename": tiny_video.name, "size": len(data)}).get_json()[
        "data"
    ]
    client.put(started["url"], data=data, headers={"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"})
    done = client.post(f"{started['url']}/complete")
    assert done.status_code == 201, done.get_json()
    asset_id = done.get_json()["data"]["id"]
    assert done.get_json()["data"]["status"] == "ready"  # tasks run eagerly in tests
    response = client.post(
        f"/courses/chapters/{course.chapters[0].id}/lessons/new",
        data={
            "title": "真实视频",
            "kind": "video",
            "media_asset_id": str(asset_id),
            "completion_threshold": "95",
        },
    )
    assert response.status_code == 302
    lesson = db.session.scalars(sa.select(Lesson)).one()
    assert 1.5 < lesson.media_duration < 2.5
    client.post(f"/courses/{course.id}/publish")
    db.session.expire_all()
    assert db.session.get(Course, course.id).status == CourseStatus.PUBLISHED
