"""Trainer authoring: courses, chapters, lessons, ordering, covers and documents, co-trainers, publishing."""

import io
import re

import pytest
import sqlalchemy as sa

from app.core.models import AuditEntry
from app.extensions import db
from courses.models import Chapter, Course, CourseStatus, Lesson
from media_pipeline.models import AssetStatus
from tests.helpers import count

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"0" * 64


def new_course(client, **overrides):
    data = {
        "title": "学习贯彻党的二十大精神",
        "summary": "**重点**解读",
        "category": "theory",
        "kind": "mooc",
        "credit_hours": "2",
        "tags": "二十大，党史 理论",
    }
    data.update(overrides)
    return client.post("/courses/new", data=data)


def test_trainer_creates_a_draft_course_and_it_is_audited(client, login, trainer):
    login(trainer)
    response = new_course(client, is_required="y")
    assert response.status_code == 302
    course = db.session.scalars(sa.select(Course)).one()
    assert response.headers["Location"].endswith(f"/courses/{course.id}/edit")
    assert course.status == CourseStatus.DRAFT
    assert course.owner_id == trainer.id
    assert course.is_required is True
    assert course.tag_list == ["二十大", "党史", "理论"]
    assert str(course.credit_hours) == "2.00"
    assert count(AuditEntry, AuditEntry.action == "course.create", AuditEntry.target_id == course.id) == 1


def test_a_member_cannot_open_authoring(client, login, member):
    login(member)
    assert client.get("/courses/new").status_code == 403
    assert new_course(client).status_code == 403
    assert count(Course) == 0


def test_invalid_course_is_refused_with_a_message(client, login, trainer):
    login(trainer)
    response = new_course(client, title="", credit_hours="-1")
    assert response.status_code == 422
    assert "请填写课程名称" in response.get_data(as_text=True)
    assert count(Course) == 0


def test_chapters_and_lessons_are_added_reordered_and_moved(client, login, trainer, make_course):
    course = make_course(trainer, lessons=[("article", 300), ("article", 300)], publish=False)
    login(trainer)
    client.post(f"/courses/{course.id}/chapters", data={"title": "第二讲"})
    chapters = db.session.scalars(sa.select(Chapter).order_by(Chapter.position)).all()
    assert [c.title for c in chapters] == ["第一讲", "第二讲"]

    first, second = db.session.scalars(sa.select(Lesson).order_by(Lesson.position)).all()
    client.post(f"/courses/lessons/{second.id}/up")
    db.session.expire_all()
    assert [lesson.title for lesson in chapters[0].lessons] == ["课时2", "课时1"]

    client.post(f"/courses/lessons/{first.id}/move", data={"chapter_id": chapters[1].id})
    db.session.expire_all()
    assert [lesson.title for lesson in chapters[0].lessons] == ["课时2"]
    assert [lesson.title for lesson in chapters[1].lessons] == ["课时1"]
    assert chapters[1].lessons[0].position == 1

    client.post(f"/courses/chapters/{chapters[1].id}/up")
    db.session.expire_all()
    assert [c.title for c in db.session.get(Course, course.id).chapters] == ["第二讲", "第一讲"]

    page = client.get(f"/courses/{course.id}/edit").get_data(as_text=True)
    assert page.index("第二讲") < page.index("第一讲")


def test_lesson_form_creates_a_video_lesson_with_an_uploaded_asset(
    client, login, trainer, make_course, make_asset
):
    course = make_course(trainer, lessons=[], publish=False)
    chapter = course.chapters[0]
    asset = make_asset(trainer, duration=95.5)
    login(trainer)
    page = client.get(f"/courses/chapters/{chapter.id}/lessons/new?kind=video").get_data(as_text=True)
    assert 'id="media-upload"' in page  # the media pipeline's uploader, reused
    assert re.search(r"/media/static/upload\.[0-9a-f]{12}\.js", page)
    response = client.post(
        f"/courses/chapters/{chapter.id}/lessons/new",
        data={
            "title": "党章学习",
            "kind": "video",
            "media_asset_id": str(asset.id),
            "completion_threshold": "90",
        },
    )
    assert response.status_code == 302
    lesson = db.session.scalars(sa.select(Lesson)).one()
    assert lesson.media_asset_id == asset.id
    assert lesson.media_duration == 95.5
    assert str(lesson.completion_threshold) == "0.90"


def test_a_trainer_cannot_attach_someone_elses_upload(
    client, login, trainer, create_user, make_course, make_asset
):
    other = create_user("trainer", name="别的讲师")
    course = make_course(trainer, lessons=[], publish=False)
    foreign = make_asset(other)
    login(trainer)
    response = client.post(
        f"/courses/chapters/{course.chapters[0].id}/lessons/new",
        data={
            "title": "借用",
            "kind": "video",
            "media_asset_id": str(foreign.id),
            "completion_threshold": "95",
        },
    )
    assert response.status_code == 422
    assert "不是您上传的" in response.get_data(as_text=True)
    assert count(Lesson) == 0


def test_publishing_is_refused_naming_each_media_lesson_not_ready(
    client, login, trainer, make_course, make_asset
):
    course = make_course(trainer, lessons=[("video", 60)], publish=False)
    chapter = course.chapters[0]
    busy = make_asset(trainer, status=AssetStatus.TRANSCODING, progress=40)
    broken = make_asset(trainer, status=AssetStatus.FAILED, error="文件已损坏")
    from courses import services

    services.create_lesson(
        chapter, services.LessonData("转码中的课", "video", media_asset_id=busy.id), trainer
    )
    services.create_lesson(
        chapter, services.LessonData("失败的课", "audio", media_asset_id=broken.id), trainer
    )
    services.create_lesson(chapter, services.LessonData("还没传的课", "video"), trainer)
    db.session.commit()
    login(trainer)
    response = client.post(f"/courses/{course.id}/publish", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "不能发布" in page
    assert "《转码中的课》（转码中 40%）" in page
    assert "《失败的课》（转码失败：文件已损坏）" in page
    assert "《还没传的课》（未上传音视频）" in page
    assert "课时1" not in page.split("不能发布")[1].split("</div>")[0]  # the ready lesson is not named
    db.session.expire_all()
    assert db.session.get(Course, course.id).status == CourseStatus.DRAFT


def test_publishing_succeeds_when_every_lesson_is_ready(client, login, trainer, make_course):
    course = make_course(trainer, lessons=[("video", 60), ("article", 120)], publish=False)
    login(trainer)
    response = client.post(f"/courses/{course.id}/publish", follow_redirects=True)
    assert "课程已发布" in response.get_data(as_text=True)
    db.session.expire_all()
    course = db.session.get(Course, course.id)
    assert course.status == CourseStatus.PUBLISHED
    assert course.published_at is not None
    client.post(f"/courses/{course.id}/archive")
    db.session.expire_all()
    assert db.session.get(Course, course.id).status == CourseStatus.ARCHIVED


def test_a_trainer_cannot_edit_another_trainers_course(client, login, trainer, create_user, make_course):
    course = make_course(trainer, lessons=[("article", 120)], publish=False)
    lesson = course.chapters[0].lessons[0]
    intruder = create_user("trainer", name="别人")
    login(intruder)
    assert client.get(f"/courses/{course.id}/edit").status_code == 404  # a draft: it does not exist for them
    db.session.execute(sa.update(Course).where(Course.id == course.id).values(status=CourseStatus.PUBLISHED))
    db.session.commit()
    assert client.get(f"/courses/{course.id}/edit").status_code == 403
    assert client.post(f"/courses/{course.id}/edit", data={"title": "改掉"}).status_code == 403
    assert client.post(f"/courses/{course.id}/archive").status_code == 403
    assert client.post(f"/courses/{course.id}/chapters", data={"title": "x"}).status_code == 403
    assert client.get(f"/courses/lessons/{lesson.id}/edit").status_code == 403
    assert client.post(f"/courses/lessons/{lesson.id}/delete").status_code == 403
    db.session.expire_all()
    assert db.session.get(Course, course.id).title == "学习贯彻党的二十大精神"
    assert count(Lesson) == 1


def test_co_trainers_edit_but_only_the_owner_manages_them(client, login, trainer, create_user, make_course):
    course = make_course(trainer, lessons=[("article", 120)], publish=False)
    helper = create_user("trainer", name="协作讲师", employee_no="T9001")
    plain_member = create_user("member", employee_no="M9001")
    login(trainer)
    response = client.post(
        f"/courses/{course.id}/co-trainers", data={"employee_no": "M9001"}, follow_redirects=True
    )
    assert "不是讲师" in response.get_data(as_text=True)
    client.post(f"/courses/{course.id}/co-trainers", data={"employee_no": "T9001"})
    db.session.expire_all()
    assert [t.id for t in db.session.get(Course, course.id).co_trainers] == [helper.id]

    client.post("/logout")
    login(helper)
    assert client.get(f"/courses/{course.id}/edit").status_code == 200
    assert client.post(f"/courses/{course.id}/chapters", data={"title": "第二讲"}).status_code == 302
    assert client.post(f"/courses/{course.id}/co-trainers", data={"employee_no": "T9001"}).status_code == 403
    assert plain_member.id not in [t.id for t in db.session.get(Course, course.id).co_trainers]


def test_cover_image_is_checked_and_served(client, login, trainer, member):
    login(trainer)
    response = new_course(client, cover=(io.BytesIO(b"not an image"), "cover.png"))
    assert response.status_code == 422
    assert "不是有效的 .png" in response.get_data(as_text=True)
    assert count(Course) == 0
    response = new_course(client, cover=(io.BytesIO(PNG), "cover.png"))
    assert response.status_code == 302
    course = db.session.scalars(sa.select(Course)).one()
    cover = client.get(f"/courses/{course.id}/cover")
    assert cover.status_code == 200
    assert cover.mimetype == "image/png"
    assert cover.data == PNG
    client.post("/logout")
    from tests.conftest import PASSWORD

    client.post("/login", data={"identifier": member.employee_no, "password": PASSWORD})
    assert client.get(f"/courses/{course.id}/cover").status_code == 404  # the course is a draft


@pytest.mark.parametrize(
    ("payload", "name", "message"),
    [(b"PK\x03\x04zipzip", "slides.pdf", "不是有效的 .pdf"), (PDF, "slides.docx", "不支持的文件类型")],
)
def test_document_lesson_accepts_only_pdf(client, login, trainer, make_course, payload, name, message):
    course = make_course(trainer, lessons=[], publish=False)
    login(trainer)
    response = client.post(
        f"/courses/chapters/{course.chapters[0].id}/lessons/new",
        data={
            "title": "文件",
            "kind": "document",
            "completion_threshold": "95",
            "document": (io.BytesIO(payload), name),
        },
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Lesson) == 0


def test_document_lesson_with_a_pdf_is_served_to_its_trainer(client, login, trainer, make_course):
    course = make_course(trainer, lessons=[], publish=False)
    login(trainer)
    client.post(
        f"/courses/chapters/{course.chapters[0].id}/lessons/new",
        data={
            "title": "文件",
            "kind": "document",
            "completion_threshold": "95",
            "document": (io.BytesIO(PDF), "党章.pdf"),
        },
    )
    lesson = db.session.scalars(sa.select(Lesson)).one()
    assert lesson.document_name == "党章.pdf"
    served = client.get(f"/courses/lessons/{lesson.id}/document")
    assert served.status_code == 200
    assert served.data == PDF
