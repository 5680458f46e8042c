"""An exam in a real browser: switching away from the paper is reported, counted by the server and,
at the exam's limit, hands the paper in; the member sees the count and why."""

import pytest

from app.accounts import services
from app.extensions import db
from app.org.services import create_branch
from app.quiz import bank, quizzes
from tests.e2e.pages import PASSWORD, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def exam_taker(live_server):
    with live_server.app.app_context():
        committee = create_branch("考试测试党委", "committee", None, actor=None)
        branch = create_branch("考试第一党支部", "branch", committee, actor=None)
        question = bank.create_question(
            bank.clean_question("判断题", "考试题：党的最高理想是实现共产主义。", [], "正确"), None
        )
        trainer = services.create_user(
            services.UserData(employee_no="EX001", name="考试讲师", branch_id=branch.id),
            ["trainer"],
            actor=None,
            password=PASSWORD,
        )
        member = services.create_user(
            services.UserData(employee_no="EX002", name="考试学员", branch_id=branch.id),
            ["member"],
            actor=None,
            password=PASSWORD,
        )
        exam = quizzes.create_quiz(
            quizzes.QuizData(
                title="浏览器切屏考试",
                purpose="exam",
                question_ids=[question.id],
                time_limit_seconds=1800,
                is_published=True,
                switch_limit=2,
            ),
            trainer,
        )
        db.session.commit()
        return {"member": member.employee_no, "exam_id": exam.id}


def test_switching_away_from_the_exam_is_counted_and_hands_it_in(live_server, exam_taker, desktop):
    log_in(desktop, live_server, exam_taker["member"])
    desktop.goto(f"{live_server}/quiz/q/{exam_taker['exam_id']}")
    desktop.get_by_role("button", name="开始").first.click()
    count = desktop.get_by_test_id("switch-count")
    count.wait_for()
    assert count.inner_text() == "0"
    # The member opens another tab and looks at it: the exam page is hidden.
    other = desktop.context.new_page()
    other.goto(f"{live_server}/")
    other.bring_to_front()
    desktop.evaluate(
        """() => {
            if (document.visibilityState !== "hidden") {  // headless Chromium may keep it visible
                Object.defineProperty(document, "visibilityState", {value: "hidden", configurable: true});
                document.dispatchEvent(new Event("visibilitychange"));
            }
        }"""
    )
    desktop.bring_to_front()
    desktop.wait_for_function(
        "() => document.querySelector('[data-testid=switch-count]').textContent === '1'"
    )
    assert "切屏达到 2 次将自动交卷" in desktop.get_by_role("status").inner_text()
    other.close()
    # A second trip away, later (the server merges a blur and a hidden page of one trip): the limit.
    desktop.wait_for_timeout(3500)
    desktop.evaluate("() => window.dispatchEvent(new Event('blur'))")
    desktop.get_by_test_id("auto-submitted").wait_for()  # the page went to the result
    assert "切屏达到 2 次" in desktop.get_by_test_id("auto-submitted").inner_text()
    assert desktop.get_by_test_id("switch-count").inner_text() == "切屏次数：2"
