"""Acceptance in a real browser at 375×812: a secretary plans a meeting, a member checks in with the
code on a phone, the secretary finalises with a photo, and the member's training record shows the
hours."""

from datetime import timedelta

import pytest
import time_machine
from PIL import Image
from playwright.sync_api import expect

from app.accounts import services
from app.accounts.models import BranchPosition
from app.core.clock import LOCAL_TZ, utcnow
from app.extensions import db
from app.org.services import create_branch
from tests.e2e.pages import PASSWORD, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cast(live_server):
    with live_server.app.app_context():
        root = create_branch("组织生活测试党委", "committee", None, actor=None)
        branch = create_branch("组织生活第一党支部", "branch", root, actor=None)

        def user(no, name):
            data = services.UserData(employee_no=no, name=name, branch_id=branch.id)
            return services.create_user(data, ["member"], actor=None, password=PASSWORD)

        secretary = user("BL901", "钱书记")
        secretary.position = BranchPosition.SECRETARY
        user("BL902", "赵党员")
        db.session.commit()
        return {"branch_id": branch.id}


def phone_context(browser):
    return browser.new_context(
        viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True, locale="zh-CN"
    )


def photo_file(tmp_path):
    path = tmp_path / "现场.jpg"
    Image.new("RGB", (800, 600), (180, 20, 20)).save(path, "JPEG")
    return path


def test_plan_check_in_on_a_phone_finalise_with_a_photo_and_see_the_hours(
    live_server, cast, browser, tmp_path
):
    secretary_ctx, member_ctx = phone_context(browser), phone_context(browser)
    try:
        secretary, member = secretary_ctx.new_page(), member_ctx.new_page()
        log_in(secretary, live_server, "BL901")
        log_in(member, live_server, "BL902")
        with time_machine.travel(utcnow(), tick=True) as server_clock:
            starts = (utcnow() + timedelta(minutes=10)).astimezone(LOCAL_TZ).replace(second=0, microsecond=0)
            secretary.goto(f"{live_server}/branchlife/meetings/new?branch={cast['branch_id']}")
            secretary.get_by_label("会议类型").select_option("committee")
            secretary.get_by_label("会议主题").fill("学习贯彻全会精神")
            secretary.get_by_label("开始时间").fill(starts.strftime("%Y-%m-%dT%H:%M"))
            secretary.get_by_label("结束时间").fill(
                (starts + timedelta(minutes=90)).strftime("%Y-%m-%dT%H:%M")
            )
            secretary.get_by_label("地点").fill("三楼会议室")
            secretary.get_by_role("button", name="安排会议").click()
            expect(secretary.get_by_test_id("meeting-status")).to_have_text("已发布")
            meeting_url = secretary.url

            server_clock.shift(timedelta(minutes=11))  # the meeting has started
            secretary.reload()
            code = secretary.get_by_test_id("code").inner_text().strip()
            assert len(code) == 6
            assert secretary.evaluate("document.documentElement.scrollWidth") <= 375

            member.goto(f"{live_server}/")
            member.get_by_test_id("branchlife-upcoming").get_by_text("学习贯彻全会精神").click()
            member.get_by_placeholder("输入现场签到码").fill(code)
            member.get_by_role("button", name="签到", exact=True).click()
            expect(member.get_by_test_id("my-state")).to_have_text("出席")
            assert member.evaluate("document.documentElement.scrollWidth") <= 375

            server_clock.shift(timedelta(minutes=90))  # the meeting is over
            secretary.goto(meeting_url)
            secretary.locator("#evidence").set_input_files(str(photo_file(tmp_path)))
            secretary.get_by_role("button", name="上传").click()
            expect(secretary.get_by_test_id("meeting-files").locator("img")).to_have_count(1)
            secretary.locator("#minutes").fill("一、传达学习全会精神。二、决议：开展专题学习。")
            secretary.once("dialog", lambda dialog: dialog.accept())
            secretary.get_by_role("button", name="定稿并计入学时").click()
            expect(secretary.get_by_test_id("meeting-status")).to_have_text("已定稿")

            member.goto(f"{live_server}/records/me")
            expect(member.locator("body")).to_contain_text("支委会：学习贯彻全会精神")
            expect(member.locator("body")).to_contain_text("2.00")
    finally:
        secretary_ctx.close()
        member_ctx.close()
