"""Acceptance in a real browser at 375×812: a member answers a survey and submits a suggestion;
the branch secretary replies; the member sees the reply and rates it."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.accounts import services
from app.core.clock import utcnow
from app.extensions import db
from app.org.services import create_branch
from app.voice import surveys
from tests.e2e.pages import PASSWORD, log_in

pytestmark = pytest.mark.e2e
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


@pytest.fixture(scope="module")
def cast(live_server):
    with live_server.app.app_context():
        root = create_branch("心声测试党委", "committee", None, actor=None)
        branch = create_branch("心声第一党支部", "branch", root, actor=None)

        def user(no, name, roles, where, position=None):
            data = services.UserData(employee_no=no, name=name, branch_id=where.id)
            created = services.create_user(data, roles, actor=None, password=PASSWORD)
            created.position = position
            return created

        user("VC001", "林党员", ["member"], branch)
        user("VC002", "陈书记", ["member"], branch, position="secretary")
        coordinator = user("VC003", "黄组织", ["coordinator", "member"], root)
        db.session.flush()
        now = utcnow()
        survey = surveys.create_survey(
            coordinator,
            surveys.SurveyData(
                "支部工作满意度调查",
                "请如实填写。",
                branch.id,
                now - timedelta(hours=1),
                now + timedelta(days=3),
            ),
        )
        Q = surveys.QuestionData
        surveys.add_question(
            coordinator, survey, Q("single", "您对支部工作满意吗？", "总体", ["满意", "基本满意", "不满意"])
        )
        surveys.add_question(coordinator, survey, Q("rating", "为三会一课打分", "", []))
        surveys.add_question(
            coordinator, survey, Q("matrix", "各项工作评价", "分项", ["好", "一般"], ["学习教育"])
        )
        surveys.add_question(coordinator, survey, Q("text", "其他意见", "", [], is_required=False))
        surveys.publish_survey(coordinator, survey, now)
        db.session.commit()
        return {"survey_id": survey.id, "questions": [q.id for q in survey.questions]}


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 375


def test_member_answers_a_survey_suggests_and_rates_the_secretarys_reply(
    live_server, cast, browser, tmp_path
):
    member_ctx, secretary_ctx = browser.new_context(**PHONE), browser.new_context(**PHONE)
    try:
        member, secretary = member_ctx.new_page(), secretary_ctx.new_page()
        log_in(member, live_server, "VC001")
        member.goto(f"{live_server}/surveys/")
        member.get_by_role("link", name="支部工作满意度调查").click()
        expect(member.get_by_test_id("survey-title")).to_have_text("支部工作满意度调查")
        rating = cast["questions"][1]
        member.get_by_label("基本满意", exact=True).check()
        member.get_by_role("button", name="保存草稿").click()
        expect(member.get_by_label("基本满意", exact=True)).to_be_checked()  # the draft came back
        member.locator(f"label[for='q{rating}_4']").click()
        member.get_by_label("学习教育").select_option(label="好")
        member.get_by_label("其他意见").fill("希望多组织红色教育基地参观。")
        member.screenshot(path=str(tmp_path / "survey-375.png"), full_page=True)
        assert fits(member)
        member.get_by_role("button", name="提交答卷").click()
        expect(member.get_by_test_id("open-surveys")).to_contain_text("已提交")

        member.goto(f"{live_server}/suggestions/new")
        member.get_by_label("标题").fill("车间增设党建书架")
        member.get_by_label("建议内容").fill("建议在车间休息室增设党建书架，方便职工利用休息时间学习。")
        member.get_by_label("提交给").select_option(label="所在支部")
        member.get_by_role("button", name="提交建议").click()
        expect(member.get_by_test_id("suggestion-status")).to_have_text("已提交")
        suggestion_url = member.url
        assert fits(member)

        log_in(secretary, live_server, "VC002")
        secretary.goto(f"{live_server}/suggestions/?tab=handle")
        secretary.get_by_role("link", name="车间增设党建书架").click()
        secretary.get_by_label("答复或说明").fill("已采纳，下周在休息室设立书架。")
        secretary.get_by_role("button", name="答复").click()
        expect(secretary.get_by_test_id("suggestion-reply")).to_contain_text("已采纳")
        assert fits(secretary)

        member.goto(f"{live_server}/")
        expect(member.get_by_test_id("unread-count")).to_be_visible()
        member.goto(suggestion_url)
        expect(member.get_by_test_id("suggestion-status")).to_have_text("已答复")
        expect(member.get_by_test_id("suggestion-reply")).to_contain_text("下周在休息室设立书架")
        member.get_by_label("评价", exact=True).select_option("5")
        member.get_by_label("评价说明（可选）").fill("办得很快")
        member.get_by_role("button", name="提交评价").click()
        expect(member.get_by_test_id("suggestion-rating")).to_contain_text("★★★★★")
        member.screenshot(path=str(tmp_path / "suggestion-375.png"), full_page=True)
        assert fits(member)
    finally:
        member_ctx.close()
        secretary_ctx.close()
