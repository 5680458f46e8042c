"""Accessibility, as axe-core judges it in a real browser, and 关怀版 (large text, high contrast).

axe-core comes from npm (``package.json``); ``scripts/setup`` copies ``axe.min.js`` beside the other
vendored files and the test injects it from the site itself, so it runs under the site's CSP and
never from a CDN. Every member page must have no serious or critical violation, in both modes.
"""

import io
import json
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.accounts import services as account_services
from app.accounts.models import User
from app.demo import seed_demo
from app.extensions import db
from courses import files
from courses import services as course_services
from courses.models import Course, Lesson, LessonKind
from tests.e2e.conftest import running_server
from tests.e2e.pages import PASSWORD, log_in

pytestmark = pytest.mark.e2e

MEMBER = "M0001"

#: Report what axe finds at these impacts; moderate and minor are advice, not barriers.
BARRIERS = ("serious", "critical")
RUN_AXE = """async (impacts) => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter(v => impacts.includes(v.impact)).map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
  }));
}"""


@pytest.fixture(scope="module")
def live_server(app, tmp_root):
    """A server of its own: the demo seeded here must not meet the other browser tests' data (a
    second 公司党委, a question bank whose answers they do not know)."""
    with running_server(app, tmp_root, "a11y") as live:
        yield live


@pytest.fixture(scope="module")
def demo(live_server):
    """The demo organisation (four members per branch), its member enrolled in a video course."""
    with live_server.app.app_context():
        seed_demo(members_per_branch=4)
        member = db.session.scalars(sa.select(User).where(User.employee_no == MEMBER)).one()
        account_services.set_password(member, PASSWORD, actor=None)
        lesson = db.session.scalars(
            sa.select(Lesson)
            .where(Lesson.kind == LessonKind.VIDEO, Lesson.media_asset_id.is_not(None))
            .order_by(Lesson.id)
        ).first()
        course = db.session.get(Course, lesson.course_id)
        course_services.enrol(course, member)
        captions = "WEBVTT\n\n00:00.000 --> 00:02.000\n同志们好。\n".encode()
        stored = files.store_upload(
            io.BytesIO(captions), "字幕.vtt", "captions", extensions=("vtt",), max_bytes=4096
        )
        lesson.captions_path = stored.relative
        db.session.commit()
        return {"course": course.id, "lesson": lesson.id}


@pytest.fixture(autouse=True)
def standard_mode(live_server, demo):
    """Each test starts with the member in the standard look (a test switches 关怀版 on)."""
    with live_server.app.app_context():
        db.session.execute(sa.update(User).where(User.employee_no == MEMBER).values(care_mode=False))
        db.session.commit()


def member_pages(demo) -> dict[str, str]:
    return {
        "首页": "/",
        "课程列表": "/courses/",
        "课程": f"/courses/{demo['course']}",
        "课时": f"/courses/lessons/{demo['lesson']}",
        "答题": "/quiz/",
        "知识百科": "/kb/",
        "党务问答": "/qa/",
        "党务公开": "/notices",
        "搜索": "/search?q=党课",
        "我的账户": "/account",
        "党员风采": "/works/",
        "党员调查": "/surveys/",
        "组织生活": "/branchlife/",
        "二维码名片": "/membership/card",
    }


def barriers_on(page, base: str, path: str) -> list[dict]:
    page.goto(base + path)
    page.wait_for_load_state("load")
    page.add_script_tag(url=f"{base}/static/vendor/axe.min.js")
    return page.evaluate(RUN_AXE, list(BARRIERS))


@pytest.mark.parametrize("care", [False, True], ids=["标准版", "关怀版"])
def test_member_pages_have_no_serious_accessibility_barriers(desktop, live_server, demo, care):
    log_in(desktop, live_server, MEMBER)
    if care:
        desktop.get_by_test_id("care-toggle").click()
        desktop.wait_for_url(f"{live_server}/")
    found = {}
    for name, path in member_pages(demo).items():
        classes = None
        if violations := barriers_on(desktop, live_server, path):
            found[name] = violations
        classes = desktop.evaluate("() => document.documentElement.className")
        assert ("hk-care" in classes) == care, name  # every page honours the member's choice
        assert desktop.evaluate("() => document.documentElement.lang") == "zh-CN"
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


def test_care_mode_is_kept_on_the_user_and_on_the_login_page(phone, live_server, demo):
    log_in(phone, live_server, MEMBER)
    toggle = phone.get_by_test_id("care-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(phone.get_by_test_id("care-toggle")).to_have_attribute("aria-pressed", "true")
    phone.wait_for_load_state("load")  # the page the toggle reloaded, with its stylesheets applied
    font = phone.evaluate("() => getComputedStyle(document.documentElement).fontSize")
    assert font == "20px"  # 125% of the browser's 16 px

    # The lesson player's controls grow with the text.
    phone.goto(f"{live_server}/courses/lessons/{demo['lesson']}")
    rate = phone.get_by_test_id("player-rate")
    assert rate.bounding_box()["height"] >= 44
    # and the lesson's captions are a track the browser offers.
    tracks = phone.evaluate(
        "() => Array.from(document.getElementById('lesson-media').textTracks).map(t => [t.kind, t.language])"
    )
    assert tracks == [["captions", "zh"]]

    # Stored on the member: a fresh browser that logs in gets it at once.
    with live_server.app.app_context():
        assert db.session.scalars(sa.select(User.care_mode).where(User.employee_no == MEMBER)).one() is True
    fresh = phone.context.browser.new_context(locale="zh-CN")
    try:
        other = fresh.new_page()
        log_in(other, live_server, MEMBER)
        assert "hk-care" in other.evaluate("() => document.documentElement.className")
    finally:
        fresh.close()

    # After logging out on this device, the login page stays large (a cookie, before any login).
    # From a light page (the lesson's player can hold a loaded machine's main thread), opening the
    # collapsed navbar, then the user menu, each once its trigger is shown.
    phone.goto(f"{live_server}/")
    phone.wait_for_load_state("load")
    phone.get_by_role("button", name="菜单").click()
    # The collapse has finished opening (a click during its transition can be lost on a loaded machine).
    expect(phone.locator("#mainnav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    expect(phone.locator("#mainnav")).not_to_have_class(re.compile(r"collapsing"))
    menu = phone.get_by_test_id("user-menu")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    logout = phone.get_by_role("button", name="退出登录")
    expect(logout).to_be_visible()
    logout.click()
    phone.wait_for_url(f"{live_server}/login")
    assert "hk-care" in phone.evaluate("() => document.documentElement.className")
    phone.get_by_test_id("care-toggle").click()  # and can be switched off there too
    phone.wait_for_url(f"{live_server}/login")
    assert "hk-care" not in phone.evaluate("() => document.documentElement.className")


def test_keyboard_reaches_the_content_first_and_sees_where_it_is(desktop, live_server, demo):
    log_in(desktop, live_server, MEMBER)
    desktop.keyboard.press("Tab")
    skip = desktop.get_by_test_id("skip-link")
    expect(skip).to_be_focused()
    assert skip.is_visible()
    desktop.keyboard.press("Enter")
    assert desktop.evaluate("() => document.activeElement.id") == "main"
    desktop.keyboard.press("Tab")
    outline = desktop.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focused control shows its focus
    for landmark in ("banner", "navigation", "main", "contentinfo"):
        assert desktop.get_by_role(landmark).count() >= 1, landmark
