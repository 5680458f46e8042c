"""Members upload a short video for their own work through the pipeline's resumable upload, under
the works' limits; only their own work may carry it, and lessons never."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.works import services
from app.works.models import Work
from courses import services as courses
from media_pipeline import services as media
from media_pipeline.models import AssetPurpose, AssetStatus, MediaAsset
from tests.helpers import config_set
from tests.media_pipeline.conftest import media_files, no_queue  # noqa: F401 -- fixtures


def start(client, size: int, name="我的微党课.mp4", purpose="work"):
    return client.post("/media/uploads", json={"filename": name, "size": size, "purpose": purpose})


def upload(client, data: bytes, name="我的微党课.mp4"):
    """Start, send in one chunk, complete: the complete answer."""
    started = start(client, len(data), name)
    assert started.status_code == 201, started.get_json()
    url = started.get_json()["data"]["url"]
    headers = {"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"}
    assert (
        client.put(url, data=data, headers=headers, content_type="application/octet-stream").status_code
        == 200
    )
    return client.post(url + "/complete")


def test_a_member_uploads_a_video_submits_it_and_it_plays_once_approved(
    as_user,
    people,
    media_files,  # noqa: F811
    no_queue,  # noqa: F811
):
    author = as_user(people["author"])
    assert 'id="media-upload"' in author.get("/works/videos").get_data(as_text=True)
    done = upload(author, media_files.get("no_audio.mp4").read_bytes())
    assert done.status_code == 201, done.get_json()
    asset_id = done.get_json()["data"]["id"]
    assert no_queue == [asset_id]
    assert db.session.get(MediaAsset, asset_id).purpose is AssetPurpose.WORK
    assert media.process_asset(asset_id, holder="test", commit=db.session.commit) == "ready"

    created = author.post(
        "/api/v1/works", json={"kind": "video", "title": "我的微党课", "media_asset_id": asset_id}
    )
    assert created.status_code == 201, created.get_json()
    work = db.session.get(Work, created.get_json()["data"]["id"])

    reader, trainer = as_user(people["reader"]), as_user(people["trainer"])
    assert reader.get(f"/works/{work.id}").status_code == 404  # in review
    page = trainer.get(f"/works/{work.id}").get_data(as_text=True)
    master = f"/media/{asset_id}/"
    assert master in page
    playlist = page[page.index(master) :].split('"', 1)[0].replace("&amp;", "&")
    assert trainer.get(playlist).status_code == 200  # the reviewer watches before deciding
    assert reader.get(playlist).status_code == 403

    services.review_work(people["trainer"], work, True, "", work.created_at)
    db.session.commit()
    assert master in reader.get(f"/works/{work.id}").get_data(as_text=True)
    response = reader.get(playlist)
    assert response.status_code == 200
    assert response.mimetype in ("application/vnd.apple.mpegurl", "video/mp4")


def test_an_over_long_video_fails_with_a_chinese_message(as_user, people, media_files, no_queue, app):  # noqa: F811
    author = as_user(people["author"])
    with config_set(app, WORKS_VIDEO_MAX_SECONDS=1):
        done = upload(author, media_files.get("no_audio.mp4").read_bytes())
    assert done.status_code == 422
    assert "超过作品视频" in done.get_json()["errors"][0]["message"]
    assert no_queue == []
    asset = db.session.scalars(sa.select(MediaAsset)).one()
    assert asset.status is AssetStatus.FAILED
    assert "超过作品视频" in author.get("/works/videos").get_data(as_text=True)


def test_quota_and_size_limits(as_user, people, app):
    author = as_user(people["author"])
    with config_set(app, WORKS_VIDEO_MAX_MB=1):
        too_big = start(author, 1024 * 1024 + 1)
        assert too_big.status_code == 413
        assert "作品视频不能超过 1 MB" in too_big.get_json()["errors"][0]["message"]
    with config_set(app, WORKS_VIDEO_PENDING_MAX=2):
        assert start(author, 1000).status_code == 201
        assert start(author, 1000).status_code == 201
        third = start(author, 1000)
        assert third.status_code == 429
        assert "在上传或处理中" in third.get_json()["errors"][0]["message"]
    reader = as_user(people["reader"])
    with config_set(app, WORKS_VIDEO_DAILY_MB=1):
        assert start(reader, 700 * 1024).status_code == 201
        again = start(reader, 700 * 1024)
        assert again.status_code == 429
        assert "今天上传的视频" in again.get_json()["errors"][0]["message"]


def test_members_still_cannot_upload_for_lessons(as_user, people):
    author = as_user(people["author"])
    assert start(author, 1000, purpose="lesson").status_code == 403
    assert start(author, 1000, purpose="anything").status_code == 400
    assert author.get("/media/upload").status_code == 403


def test_only_ones_own_work_video_may_be_attached(client, login, people, make_asset):
    others = make_asset(people["reader"])
    others.purpose = AssetPurpose.WORK
    lesson_asset = make_asset(people["trainer"])
    db.session.commit()
    login(people["author"])
    for asset in (others, lesson_asset):
        response = client.post(
            "/api/v1/works", json={"kind": "video", "title": "借用", "media_asset_id": asset.id}
        )
        assert response.status_code == 422
        assert "请选择您上传的视频" in response.get_json()["errors"][0]["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Work)) == 0


@pytest.mark.parametrize("who", ["trainer", "admin"])
def test_a_members_video_cannot_become_a_lesson(people, make_asset, who):
    video = make_asset(people["author"])
    video.purpose = AssetPurpose.WORK
    actor = people[who]
    course = courses.create_course(courses.CourseData(title="课程"), actor)
    chapter = courses.add_chapter(course, "第一讲", actor)
    with pytest.raises(courses.CourseError):
        courses.create_lesson(chapter, courses.LessonData("借用", "video", media_asset_id=video.id), actor)
