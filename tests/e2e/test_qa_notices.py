"""Acceptance in a real browser: a question answered and accepted; a notice with a read receipt."""

import re

import pytest
from playwright.sync_api import expect

from app.accounts import services
from app.extensions import db
from app.org.services import create_branch
from app.qa import services as qa_services
from tests.e2e.pages import PASSWORD, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cast(live_server):
    with live_server.app.app_context():
        root = create_branch("问答测试党委", "committee", None, actor=None)
        general = create_branch("问答测试党总支", "general_branch", root, actor=None)
        branch = create_branch("问答第一党支部", "branch", general, actor=None)
        other = create_branch("问答第二党支部", "branch", general, actor=None)

        def user(no, name, roles, where):
            data = services.UserData(employee_no=no, name=name, branch_id=where.id)
            return services.create_user(data, roles, actor=None, password=PASSWORD)

        member = user("QA001", "孙学员", ["member"], branch)
        user("QA002", "周讲师", ["trainer", "member"], general)
        user("QA003", "吴组织", ["coordinator", "member"], general)
        user("QA004", "郑同志", ["member"], branch)
        user("QA005", "冯外支", ["member"], other)
        qa_services.ask_question(member, "党费缴纳的标准是什么？", "", "党费")
        db.session.commit()
        return {"branch": branch.name}


def test_member_asks_trainer_answers_member_accepts_and_is_notified(live_server, cast, browser, tmp_path):
    member_ctx = browser.new_context(
        viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    trainer_ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    try:
        member, trainer = member_ctx.new_page(), trainer_ctx.new_page()
        log_in(member, live_server, "QA001")
        member.goto(f"{live_server}/qa/ask")
        member.get_by_label("问题").fill("预备党员转正需要哪些手续")
        member.get_by_label("问题").press_sequentially("和党费缴纳")
        expect(member.get_by_test_id("similar-questions")).to_contain_text("党费缴纳的标准是什么？")
        member.get_by_label("问题").fill("预备党员转正需要哪些手续？")
        member.get_by_label("补充说明（可选，支持 Markdown）").fill("我的预备期快满一年了。")
        member.get_by_label("标签").fill("组织发展")
        member.screenshot(path=str(tmp_path / "ask-375.png"), full_page=True)
        member.get_by_role("button", name="提问").click()
        expect(member.get_by_test_id("question-title")).to_contain_text("预备党员转正需要哪些手续？")
        question_url = member.url
        assert member.evaluate("document.documentElement.scrollWidth") <= 375

        log_in(trainer, live_server, "QA002")
        trainer.goto(f"{live_server}/qa/?tab=unanswered")
        trainer.get_by_role("link", name=re.compile("预备党员转正需要哪些手续")).click()
        trainer.get_by_label("您的回答（支持 Markdown）").fill(
            "预备期满，本人提交**转正申请**，支部大会讨论通过后报上级党委审批。"
        )
        trainer.get_by_role("button", name="提交回答").click()
        expect(trainer.get_by_test_id("answer-body")).to_contain_text("转正申请")

        member.goto(f"{live_server}/")
        expect(member.get_by_test_id("unread-count")).to_have_text("1")
        member.get_by_test_id("notification-bell").click()
        notification = member.get_by_test_id("notification").first
        expect(notification).to_contain_text("您的问题有了新回答")
        expect(notification).to_have_attribute("data-read", "no")
        member.screenshot(path=str(tmp_path / "notifications-375.png"), full_page=True)
        notification.get_by_role("link").click()
        assert member.url.startswith(question_url)
        member.get_by_test_id("accept").click()
        expect(member.get_by_test_id("accepted")).to_be_visible()
        expect(member.get_by_test_id("question-title")).to_contain_text("已解决")
        expect(member.get_by_test_id("unread-count")).to_have_count(0)  # reading it cleared the bell
        member.screenshot(path=str(tmp_path / "question-375.png"), full_page=True)
        assert member.evaluate("document.documentElement.scrollWidth") <= 375

        trainer.goto(f"{live_server}/notifications")
        expect(trainer.get_by_test_id("notification").first).to_contain_text("您的回答被采纳了")
    finally:
        member_ctx.close()
        trainer_ctx.close()


def test_coordinator_publishes_a_receipt_notice_to_one_branch_and_sees_who_read_it(
    live_server, cast, browser, tmp_path
):
    coordinator_ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    member_ctx = browser.new_context(
        viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    outsider_ctx = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, locale="zh-CN")
    try:
        coordinator, member, outsider = (
            coordinator_ctx.new_page(),
            member_ctx.new_page(),
            outsider_ctx.new_page(),
        )
        log_in(coordinator, live_server, "QA003")
        coordinator.goto(f"{live_server}/notices/new")
        coordinator.get_by_label("类别").select_option(label="活动安排")
        coordinator.get_by_label("发布范围").select_option(label="　" + cast["branch"])
        coordinator.get_by_label("标题").fill("关于召开专题组织生活会的通知")
        coordinator.get_by_label("正文（Markdown）").fill("请全体党员**准时参加**。")
        coordinator.get_by_label("需要阅读回执（组织员可查看谁未读）").check()
        coordinator.get_by_role("button", name="发布").click()
        expect(coordinator.get_by_test_id("notice-title")).to_have_text("关于召开专题组织生活会的通知")
        notice_url = coordinator.url

        log_in(member, live_server, "QA001")
        expect(member.get_by_test_id("latest-notices")).to_contain_text("关于召开专题组织生活会的通知")
        expect(member.get_by_test_id("unread-count")).to_be_visible()
        member.goto(notice_url)
        expect(member.get_by_test_id("notice-body")).to_contain_text("准时参加")
        member.screenshot(path=str(tmp_path / "notice-375.png"), full_page=True)
        member.get_by_test_id("confirm-receipt").click()
        expect(member.get_by_test_id("receipt-done")).to_be_visible()
        assert member.evaluate("document.documentElement.scrollWidth") <= 375

        log_in(outsider, live_server, "QA005")
        expect(outsider.get_by_test_id("latest-notices")).not_to_contain_text("专题组织生活会")
        assert outsider.goto(notice_url).status == 404

        coordinator.get_by_test_id("readers-link").click()
        expect(coordinator.get_by_test_id("readers-total")).to_contain_text("已读 1 / 共 2 人")
        expect(coordinator.get_by_test_id("unread-list")).to_contain_text("郑同志")
        expect(coordinator.get_by_test_id("unread-list")).not_to_contain_text("孙学员")
        coordinator.get_by_role("link", name=re.compile("^已读")).click()
        expect(coordinator.get_by_test_id("read-list")).to_contain_text("孙学员")
        coordinator.screenshot(path=str(tmp_path / "readers-desktop.png"), full_page=True)
    finally:
        coordinator_ctx.close()
        member_ctx.close()
        outsider_ctx.close()
