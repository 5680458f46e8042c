"""Captions: a trainer gives a video lesson a WebVTT file; the player carries it as a captions track
that screen readers and members who cannot hear the narration use."""

import io

from app.extensions import db
from courses import services

VTT = "WEBVTT\n\n00:00.000 --> 00:04.000\n同志们好，今天我们学习党章。\n".encode()


def edit_with_captions(client, lesson, payload=VTT, name="党章.vtt"):
    return client.post(
        f"/courses/lessons/{lesson.id}/edit",
        data={
            "title": lesson.title,
            "kind": "video",
            "media_asset_id": str(lesson.media_asset_id),
            "completion_threshold": "95",
            "captions": (io.BytesIO(payload), name),
        },
    )


def test_a_lesson_with_captions_plays_them_for_enrolled_members(
    client, login, trainer, member, create_user, make_course
):
    course = make_course(trainer, lessons=[("video", 120)])
    lesson = course.chapters[0].lessons[0]
    services.enrol(course, member)
    db.session.commit()
    login(trainer)
    assert edit_with_captions(client, lesson).status_code == 302

    client.post("/logout")
    login(member)
    page = client.get(f"/courses/lessons/{lesson.id}").get_data(as_text=True)
    track = f'<track kind="captions" src="/courses/lessons/{lesson.id}/captions.vtt" srclang="zh"'
    assert track in page
    served = client.get(f"/courses/lessons/{lesson.id}/captions.vtt")
    assert served.status_code == 200
    assert served.mimetype == "text/vtt"
    assert served.data == VTT

    client.post("/logout")
    login(create_user("member"))  # not enrolled
    assert client.get(f"/courses/lessons/{lesson.id}/captions.vtt").status_code in (403, 404)


def test_a_lesson_without_captions_has_no_track(client, login, member, trainer, make_course):
    course = make_course(trainer, lessons=[("video", 120)])
    lesson = course.chapters[0].lessons[0]
    services.enrol(course, member)
    db.session.commit()
    login(member)
    assert "<track" not in client.get(f"/courses/lessons/{lesson.id}").get_data(as_text=True)
    assert client.get(f"/courses/lessons/{lesson.id}/captions.vtt").status_code == 404


def test_only_webvtt_files_are_accepted_as_captions(client, login, trainer, make_course):
    course = make_course(trainer, lessons=[("video", 120)])
    lesson = course.chapters[0].lessons[0]
    login(trainer)
    srt = "1\n00:00:00,000 --> 00:00:04,000\n同志们好\n".encode()
    response = edit_with_captions(client, lesson, srt, "党章.srt")
    assert response.status_code == 422
    assert "不支持的文件类型" in response.get_data(as_text=True)
    response = edit_with_captions(client, lesson, srt, "党章.vtt")  # an .srt renamed
    assert response.status_code == 422
    assert "不是有效的 .vtt" in response.get_data(as_text=True)
    db.session.refresh(lesson)
    assert lesson.captions_path is None
