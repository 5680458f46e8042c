"""Members on phones: the daily quiz with its points, and a duel between two browsers."""

import pytest

from app.accounts import services
from app.extensions import db
from app.org.services import create_branch
from app.quiz import bank
from tests.e2e.pages import PASSWORD, log_in

pytestmark = pytest.mark.e2e
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


@pytest.fixture(scope="module")
def quiz_people(live_server):
    with live_server.app.app_context():
        committee = create_branch("答题测试党委", "committee", None, actor=None)
        branch = create_branch("答题第一党支部", "branch", committee, actor=None)
        for n in range(1, 9):
            # Choice questions whose right option says so, and true/false questions that are true:
            # the test can answer right without knowing anything the page was not shown.
            fields = bank.clean_question(
                "单选题",
                f"第{n}个单选题：下列哪一项正确？",
                [f"正确选项{n}", f"错误选项{n}甲", f"错误选项{n}乙"],
                "A",
                f"这是第{n}题的解析。",
            )
            bank.create_question(fields, None)
            bank.create_question(
                bank.clean_question("判断题", f"第{n}个判断题：这句话是对的。", [], "正确"), None
            )

        def user(no, name):
            data = services.UserData(employee_no=no, name=name, branch_id=branch.id)
            return services.create_user(data, ["member"], actor=None, password=PASSWORD).employee_no

        people = {
            "daily": user("QZ001", "答题甲"),
            "left": user("QZ002", "对战左"),
            "right": user("QZ003", "对战右"),
        }
        db.session.commit()
        return people


def answer_right(page):
    """Answer the question on screen correctly (the e2e bank marks its right options)."""
    question = page.get_by_test_id("question")
    question.wait_for()
    right = question.locator("button.hk-option", has_text="正确")
    right.first.click()


def test_a_member_takes_the_daily_quiz_on_a_phone_and_sees_the_points(
    live_server, quiz_people, phone, tmp_path
):
    log_in(phone, live_server, quiz_people["daily"])
    phone.get_by_test_id("quiz-panel").get_by_role("link", name="每日答题").click()
    phone.wait_for_url(f"{live_server}/quiz/daily")
    for n in range(5):
        answer_right(phone)
        feedback = phone.get_by_test_id("feedback")
        feedback.wait_for()
        assert "回答正确" in feedback.inner_text()
        assert "+1 积分" in feedback.inner_text()
        if n == 0:
            assert phone.evaluate("document.documentElement.scrollWidth") <= 375
            phone.screenshot(path=str(tmp_path / "daily-375.png"), full_page=True)
        phone.get_by_test_id("next").click()
    summary = phone.get_by_test_id("summary")
    summary.wait_for()
    assert "答对 5 / 5 题" in summary.inner_text()
    assert phone.get_by_test_id("points-earned").inner_text() == "+5 积分"
    phone.screenshot(path=str(tmp_path / "daily-done-375.png"), full_page=True)
    phone.get_by_role("link", name="查看我的积分").click()
    assert phone.get_by_test_id("points-total").inner_text() == "6"  # five answers and the first sign-in
    assert phone.get_by_test_id("points-history").get_by_text("每日答题").count() == 5
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    # Coming back today shows the quiz as done, not a second one.
    phone.goto(f"{live_server}/quiz/")
    assert phone.get_by_text("今天已完成：答对 5 / 5 题").is_visible()


def test_two_phones_play_a_duel_to_the_end_and_see_the_same_winner(
    live_server, quiz_people, browser, tmp_path
):
    contexts = [browser.new_context(**PHONE) for _ in range(2)]
    left, right = (c.new_page() for c in contexts)
    try:
        log_in(left, live_server, quiz_people["left"])
        log_in(right, live_server, quiz_people["right"])
        for page in (left, right):
            page.goto(f"{live_server}/quiz/duel")
        left.get_by_role("button", name="随机匹配对手").click()
        left.get_by_test_id("duel-waiting").wait_for()
        right.get_by_role("button", name="随机匹配对手").click()
        rounds = live_server.app.config["QUIZ_DUEL_QUESTIONS"]
        for n in range(rounds):
            for page in (left, right):
                page.get_by_text(f"第 {n + 1} / {rounds} 题").wait_for()
            answer_right(left)  # left is right and first every round
            left.get_by_test_id("feedback").wait_for()
            right.get_by_test_id("question").locator("button.hk-option", has_text="错误").first.click()
            if n == 1:
                assert right.evaluate("document.documentElement.scrollWidth") <= 375
                right.screenshot(path=str(tmp_path / "duel-375.png"), full_page=True)
        winners = []
        for page in (left, right):
            page.get_by_test_id("duel-result").wait_for(timeout=15000)
            winners.append(page.get_by_test_id("duel-winner-name").inner_text())
        assert winners == ["获胜者：对战左", "获胜者：对战左"]
        assert left.get_by_test_id("duel-winner").inner_text() == "你赢了！"
        assert right.get_by_test_id("duel-winner").inner_text() == "胜者：对战左"
        right.screenshot(path=str(tmp_path / "duel-result-375.png"), full_page=True)
    finally:
        for c in contexts:
            c.close()
