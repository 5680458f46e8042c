"""Acceptance, as new users would try it: a trainer builds and publishes a course with a real video
uploaded through the page; a member on a phone enrols, plays it, reloads and resumes."""

import io
import re
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from playwright.sync_api import expect

from app.accounts import services as account_services
from app.accounts.models import User
from app.core.clock import utcnow
from app.extensions import db
from app.org.services import create_branch
from courses import files, services
from media_pipeline import services as media_services
from media_pipeline.models import AssetStatus, MediaAsset
from tests.e2e.pages import PASSWORD, log_in
from tests.helpers import chinese_pdf

pytestmark = pytest.mark.e2e
#: Phone screenshots of the main pages, kept for a person to look at after the run.
SHOTS = Path(tempfile.gettempdir()) / "hongke-screenshots"


@pytest.fixture(scope="module")
def people(live_server):
    with live_server.app.app_context():
        root = create_branch("课程测试党委", "committee", None, actor=None)
        branch = create_branch("课程测试支部", "branch", root, actor=None)

        def user(no, name, roles):
            data = account_services.UserData(employee_no=no, name=name, branch_id=branch.id)
            return account_services.create_user(data, roles, actor=None, password=PASSWORD).employee_no

        result = {
            "trainer": user("C2E001", "周讲师", ["trainer", "member"]),
            "member": user("C2E002", "吴学员", ["member"]),
        }
        db.session.commit()
        return result


@pytest.fixture(scope="module")
def lesson_video(tmp_path_factory):
    """A 3-second 320x240 video with sound, made by ffmpeg (tiny: it is transcoded in the test)."""
    path = tmp_path_factory.mktemp("e2e-courses") / "党课录像.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-y",
         "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=3",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-c:v", "libx264", "-preset", "ultrafast",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)],
        check=True,
    )  # fmt: skip
    return path


def finish_transcodes(app):
    """What a worker does: the live server's eager tasks run in the test session's app, so process
    any asset still waiting here, in the live server's own app and database."""
    with app.app_context():
        waiting = db.session.scalars(
            sa.select(MediaAsset.id).where(
                MediaAsset.status.in_([AssetStatus.UPLOADED, AssetStatus.TRANSCODING])
            )
        ).all()
        for asset_id in waiting:
            media_services.process_asset(
                asset_id, holder=media_services.new_lease_holder("e2e"), commit=db.session.commit
            )
        db.session.remove()


def test_trainer_publishes_and_member_plays_and_resumes_on_a_phone(
    live_server, people, desktop, browser, lesson_video
):
    base = live_server
    page = desktop
    log_in(page, base, people["trainer"])
    page.goto(f"{base}/courses/new")
    page.get_by_label("课程名称").fill("新时代党员先锋课")
    page.get_by_label("学时").fill("1.5")
    page.get_by_label("课程简介（支持 Markdown）").fill("结合**岗位实际**学习。")
    page.get_by_role("button", name="创建课程").click()
    page.wait_for_url("**/edit")
    page.get_by_placeholder("新章节名称").fill("第一讲 初心使命")
    page.get_by_role("button", name="添加章节").click()
    page.get_by_test_id("add-video").click()
    page.get_by_label("课时名称").fill("先锋模范作用")
    page.set_input_files("#media-file", str(lesson_video))
    page.get_by_role("button", name="开始上传").click()
    page.get_by_test_id("media-message").filter(has_text="检测通过").wait_for(timeout=60_000)
    status = page.get_by_test_id("asset-status")
    if "可播放" not in status.inner_text():
        finish_transcodes(live_server.app)  # the trainer's page keeps polling and shows the result
    status.filter(has_text="可播放").wait_for(timeout=60_000)
    assert page.url.endswith("/lessons/new?kind=video")  # the upload kept the trainer on the lesson form
    page.get_by_test_id("save-lesson").click()
    page.wait_for_url("**/edit#outline")
    assert page.get_by_test_id("media-state").inner_text() == "可播放"
    page.get_by_test_id("publish").click()
    page.get_by_text("课程已发布").wait_for()
    assert page.get_by_test_id("course-status").inner_text() == "已发布"

    SHOTS.mkdir(exist_ok=True)
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    phone = context.new_page()
    try:
        log_in(phone, base, people["member"])
        phone.goto(f"{base}/courses/")
        phone.get_by_test_id("course-card").filter(has_text="新时代党员先锋课").click()
        phone.get_by_test_id("enrol").click()
        phone.get_by_text("已加入课程").wait_for()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
        phone.screenshot(path=str(SHOTS / "course-375.png"), full_page=True)
        phone.get_by_test_id("continue").click()
        phone.wait_for_url("**/courses/lessons/*")
        video = phone.locator("#lesson-media")
        video.wait_for()
        phone.wait_for_function(
            "() => document.getElementById('lesson-media').readyState >= 1", timeout=30_000
        )
        phone.evaluate(
            "() => { const v = document.getElementById('lesson-media'); v.muted = true; return v.play(); }"
        )
        phone.wait_for_function(
            "() => document.getElementById('lesson-media').currentTime > 1.6", timeout=30_000
        )
        phone.evaluate("document.getElementById('lesson-media').pause()")
        paused_at = phone.evaluate("document.getElementById('lesson-media').currentTime")
        assert paused_at > 1.6  # the video really played
        phone.wait_for_timeout(800)  # let the pause heartbeat land
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
        phone.screenshot(path=str(SHOTS / "lesson-375.png"), full_page=True)

        phone.reload()
        phone.wait_for_function(
            "() => document.getElementById('lesson-media').readyState >= 1", timeout=30_000
        )
        phone.wait_for_function(
            "() => document.getElementById('lesson-media').currentTime > 0.5", timeout=10_000
        )
        resumed_at = phone.evaluate("document.getElementById('lesson-media').currentTime")
        assert abs(resumed_at - paused_at) < 1.0, (resumed_at, paused_at)

        phone.goto(f"{base}/courses/")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
        phone.screenshot(path=str(SHOTS / "catalog-375.png"), full_page=True)
    finally:
        context.close()


def test_an_article_lesson_reports_reading_and_reaching_the_end(live_server, people, phone):
    with live_server.app.app_context():
        trainer = db.session.scalars(sa.select(User).where(User.employee_no == people["trainer"])).one()
        course = services.create_course(services.CourseData(title="图文学习课", credit_hours="0.5"), trainer)
        chapter = services.add_chapter(course, "阅读", trainer)
        body = "\n\n".join(f"第{i}段：坚持理论学习，做到学思用贯通、知信行统一。" for i in range(60))
        lesson = services.create_lesson(
            chapter, services.LessonData("长文阅读", "article", body=body), trainer
        )
        services.publish_course(course, trainer)
        db.session.commit()
        lesson_id = lesson.id
        db.session.remove()

    beats = []
    phone.on(
        "request",
        lambda request: (
            beats.append(request.post_data_json)
            if request.url.endswith(f"/api/v1/lessons/{lesson_id}/progress")
            else None
        ),
    )
    log_in(phone, live_server, people["member"])
    phone.goto(f"{live_server}/courses/lessons/{lesson_id}")
    phone.wait_for_timeout(500)
    assert [b["event"] for b in beats] == ["play"]  # the end of the text is not on screen yet
    phone.locator("#reading-end").scroll_into_view_if_needed()
    phone.wait_for_timeout(500)
    assert beats[-1]["event"] == "ended"
    assert beats[-1]["rate"] == 1
    assert [b["seq"] for b in beats] == sorted({b["seq"] for b in beats})
    assert phone.get_by_test_id("player-notice").is_hidden()  # the server accepted them


def make_document_lesson(app, trainer_no, title, pdf: bytes) -> tuple[int, Path]:
    """A published course with one document lesson holding ``pdf``: (lesson id, the stored file)."""
    with app.app_context():
        trainer = db.session.scalars(sa.select(User).where(User.employee_no == trainer_no)).one()
        course = services.create_course(services.CourseData(title=title, credit_hours="0.5"), trainer)
        chapter = services.add_chapter(course, "原文", trainer)
        # One minute of reading: the server credits time on the page up to that.
        lesson = services.create_lesson(
            chapter, services.LessonData("党章原文", "document", estimated_minutes=1), trainer
        )
        stored = files.store_upload(
            io.BytesIO(pdf), "党章.pdf", "documents", extensions=("pdf",), max_bytes=10**7
        )
        services.set_lesson_document(lesson, stored, trainer)
        services.publish_course(course, trainer)
        db.session.commit()
        result = lesson.id, files.absolute(stored.relative)
        db.session.remove()
        return result


def pdf_pages(count):
    return [
        [f"第{n}页", "中国共产党章程", "坚持理论学习，做到学思用贯通、知信行统一。"[: 9 + n % 5]]
        for n in range(1, count + 1)
    ]


#: Dark pixels on a page's canvas: text drawn there (a blank or failed page has none).
INKED = """(number) => {
  const canvas = document.querySelector(`.hk-pdf-page[data-page="${number}"] canvas`);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let dark = 0;
  for (let i = 0; i < pixels.length; i += 4) if (pixels[i] < 128 && pixels[i + 1] < 128) dark += 1;
  return dark;
}"""


def drawn(page, number):
    return page.locator(f'.hk-pdf-page[data-page="{number}"][data-state="drawn"]')


def test_a_document_lesson_is_read_page_by_page_on_a_phone(live_server, people, phone):
    pages = 12
    lesson_id, _stored = make_document_lesson(
        live_server.app, people["trainer"], "党章逐页学", chinese_pdf(pdf_pages(pages))
    )
    progress_url = f"/api/v1/lessons/{lesson_id}/progress"
    beats = []
    phone.on(
        "request", lambda r: beats.append(r.post_data_json["event"]) if r.url.endswith(progress_url) else None
    )

    def answer_to(event):
        return lambda r: r.url.endswith(progress_url) and r.request.post_data_json["event"] == event

    log_in(phone, live_server, people["member"])
    # The server's clock and the page's clock stand still and move together, one heartbeat at a time.
    with time_machine.travel(utcnow(), tick=False) as server_clock:
        phone.clock.install()
        started = time.perf_counter()
        # The page's first heartbeat is answered before the clocks move (on a loaded machine it
        # could reach the server after the first shift, and that first quarter minute not count).
        with phone.expect_response(answer_to("play"), timeout=20_000):
            phone.goto(f"{live_server}/courses/lessons/{lesson_id}")
        drawn(phone, 1).wait_for(timeout=20_000)
        first_page_seconds = time.perf_counter() - started
        print(f"\nfirst PDF page drawn {first_page_seconds * 1000:.0f} ms after navigation (375x812)")

        assert phone.evaluate(INKED, 1) > 500  # the Chinese text is there (CMaps and fonts found)
        assert phone.get_by_test_id("pdf-counter").inner_text() == f"第 1 / {pages} 页"
        assert phone.locator('.hk-pdf-page[data-state="drawn"]').count() <= 3  # not the whole file
        width = phone.evaluate("document.querySelector('.hk-pdf-page canvas').getBoundingClientRect().width")
        assert width >= 340  # the page uses the phone's width...
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375  # ...and no more
        SHOTS.mkdir(exist_ok=True)
        phone.screenshot(path=str(SHOTS / "document-375.png"))

        for _ in range(4):  # a minute on the first page: enough time, but not the end
            server_clock.shift(timedelta(seconds=15))
            with phone.expect_response(answer_to("tick")):
                phone.clock.run_for(15_000)
        # the label follows the last answer (drawn after it arrives)
        expect(phone.get_by_test_id("lesson-progress")).to_have_text(re.compile(r"已学 (9[5-9]|100)%"))
        assert "ended" not in beats

        for number in range(2, pages):
            phone.locator(f'.hk-pdf-page[data-page="{number}"]').scroll_into_view_if_needed()
            drawn(phone, number).wait_for()
            assert phone.evaluate(INKED, number) > 500
            expect(phone.get_by_test_id("pdf-counter")).to_have_text(f"第 {number} / {pages} 页")
            assert "ended" not in beats, number  # the end is below the last page, not yet reached
        assert phone.locator('.hk-pdf-page[data-state="drawn"]').count() < pages  # far pages let go

        with phone.expect_response(answer_to("ended")) as ended:
            phone.locator(f'.hk-pdf-page[data-page="{pages}"]').scroll_into_view_if_needed()
            drawn(phone, pages).wait_for()
            phone.locator("#reading-end").scroll_into_view_if_needed()
        assert ended.value.json()["data"]["completed"] is True
        expect(phone.get_by_test_id("pdf-counter")).to_have_text(f"第 {pages} / {pages} 页")
        expect(phone.get_by_test_id("lesson-progress")).to_have_text("已完成")
        assert phone.get_by_test_id("player-notice").is_hidden()


def test_a_document_lesson_fits_the_column_on_a_desktop(live_server, people, desktop):
    lesson_id, _stored = make_document_lesson(
        live_server.app, people["trainer"], "党章桌面读", chinese_pdf(pdf_pages(3))
    )
    log_in(desktop, live_server, people["member"])
    desktop.goto(f"{live_server}/courses/lessons/{lesson_id}")
    drawn(desktop, 1).wait_for(timeout=20_000)
    assert desktop.evaluate(INKED, 1) > 500
    assert desktop.get_by_test_id("pdf-counter").inner_text() == "第 1 / 3 页"
    column = desktop.get_by_test_id("pdf-viewer").bounding_box()
    canvas = desktop.locator('.hk-pdf-page[data-page="1"] canvas').bounding_box()
    assert column["width"] - 20 <= canvas["width"] <= column["width"]
    assert desktop.evaluate("document.documentElement.scrollWidth") <= 1366


def test_a_document_that_cannot_be_loaded_offers_the_download(live_server, people, phone):
    lesson_id, stored = make_document_lesson(
        live_server.app, people["trainer"], "党章缺失", chinese_pdf(pdf_pages(2))
    )
    stored.unlink()  # lost from the media store
    log_in(phone, live_server, people["member"])
    phone.goto(f"{live_server}/courses/lessons/{lesson_id}")
    error = phone.get_by_test_id("pdf-error")
    error.wait_for(timeout=20_000)
    assert "找不到该文档" in error.inner_text()
    link = error.get_by_role("link", name="打开文档：党章.pdf")
    assert link.get_attribute("href") == f"/courses/lessons/{lesson_id}/document"
    assert phone.get_by_test_id("pdf-loading").is_hidden()
    assert phone.locator("#reading-end").is_hidden()  # nothing read: the lesson cannot be finished here


def test_a_reader_whose_pdfjs_cannot_load_gets_the_download(live_server, people, phone):
    lesson_id, _stored = make_document_lesson(
        live_server.app, people["trainer"], "党章无阅读器", chinese_pdf(pdf_pages(2))
    )
    log_in(phone, live_server, people["member"])
    phone.route("**/vendor/pdfjs/pdf.worker.min.*", lambda route: route.abort())  # a proxy ate it
    phone.goto(f"{live_server}/courses/lessons/{lesson_id}")
    error = phone.get_by_test_id("pdf-error")
    error.wait_for(timeout=20_000)
    assert "文档加载失败" in error.inner_text()
    assert error.get_by_role("link", name="打开文档：党章.pdf").is_visible()
    assert phone.locator(".hk-pdf-page").count() == 0
    # the document is fine, only the reader failed: reading the download still counts
    assert phone.locator("#reading-end").is_visible()
