"""The courses API for a mobile client, with a bearer token and with the browser session."""

import pytest

from app.accounts import services as account_services
from app.extensions import db
from courses import services


@pytest.fixture
def token(member):
    _row, plain = account_services.issue_api_token(member, "手机", actor=member)
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_catalog_and_course_outline(client, trainer, member, make_course, token):
    course = make_course(
        trainer, title="党史", lessons=[("video", 120.5), ("article", 300)], credit_hours="2.00"
    )
    make_course(trainer, title="草稿", publish=False)
    listing = client.get("/api/v1/courses", headers=token).get_json()["data"]
    assert [c["title"] for c in listing["courses"]] == ["党史"]
    assert listing["total"] == 1

    detail = client.get(f"/api/v1/courses/{course.id}", headers=token).get_json()["data"]
    lessons = detail["chapters"][0]["lessons"]
    assert [(x["kind"], x["title"], x["duration"]) for x in lessons] == [
        ("video", "课时1", 120.5),
        ("article", "课时2", 300.0),
    ]
    assert sum(float(x["credit_hours"]) for x in lessons) == 2.0
    assert detail["enrolled"] is False
    assert lessons[0]["progress"] is None


def test_enrol_then_lesson_with_playback_urls(client, trainer, member, make_course, token):
    course = make_course(trainer, lessons=[("video", 60)])
    lesson = course.chapters[0].lessons[0]
    refused = client.get(f"/api/v1/lessons/{lesson.id}", headers=token)
    assert refused.status_code == 403
    assert refused.get_json()["errors"][0]["message"] == "请先加入课程再学习该课时。"

    first = client.post(f"/api/v1/courses/{course.id}/enrol", headers=token)
    assert first.status_code == 201
    assert client.post(f"/api/v1/courses/{course.id}/enrol", headers=token).status_code == 200

    data = client.get(f"/api/v1/lessons/{lesson.id}", headers=token).get_json()["data"]
    assert data["duration"] == 60.0
    assert data["playback"]["hls"].startswith("http://localhost/media/")
    assert data["playback"]["hls"].endswith("master.m3u8")
    assert data["playback"]["mp4"].endswith("fallback.mp4")
    assert data["progress_url"].endswith(f"/api/v1/lessons/{lesson.id}/progress")
    assert services.enrollment_for(member, course.id) is not None


def test_drafts_are_not_found_in_the_api(client, trainer, make_course, token):
    draft = make_course(trainer, publish=False)
    assert client.get(f"/api/v1/courses/{draft.id}", headers=token).status_code == 404
    assert client.post(f"/api/v1/courses/{draft.id}/enrol", headers=token).status_code == 404
    assert client.get(f"/api/v1/lessons/{draft.chapters[0].lessons[0].id}", headers=token).status_code == 404


def test_the_api_needs_a_login(client):
    assert client.get("/api/v1/courses").status_code == 401
