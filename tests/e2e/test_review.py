"""On a phone (375×812): a member finds the open ballot on the home page, grades every other member and
casts it; the page fits the screen and the ballot cannot be cast twice."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.accounts import services as accounts
from app.accounts.models import BranchPosition
from app.branchlife.reviews import services
from app.core.clock import localtoday, utcnow
from app.extensions import db
from app.org.services import create_branch
from tests.e2e.pages import PASSWORD, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def open_review(live_server):
    with live_server.app.app_context():
        root = create_branch("评议测试党委", "committee", None, actor=None)
        branch = create_branch("评议第一党支部", "branch", root, actor=None)
        people = [
            accounts.create_user(
                accounts.UserData(employee_no=f"PY{i:03d}", name=name, branch_id=branch.id),
                ["member"],
                actor=None,
                password=PASSWORD,
            )
            for i, name in enumerate(("陈书记", "林党员", "黄党员", "周党员"))
        ]
        people[0].position = BranchPosition.SECRETARY
        now = utcnow()
        review = services.open_round(
            people[0], branch, localtoday().year, now - timedelta(minutes=1), now + timedelta(days=2)
        )
        db.session.commit()
        return review.id


def test_a_member_votes_on_a_phone(live_server, open_review, phone):
    log_in(phone, live_server, "PY001")
    phone.get_by_test_id("review-ballot-panel").get_by_role("link", name="去投票").click()
    expect(phone.get_by_test_id("ballot-candidate")).to_have_count(3)  # everyone but oneself
    for label, grade in (("陈书记", "优秀"), ("黄党员", "合格"), ("周党员", "基本合格")):
        phone.get_by_role("group", name=label).get_by_label(grade, exact=True).check()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.get_by_role("button", name="提交投票").click()
    expect(phone.get_by_text("投票成功")).to_be_visible()
    expect(phone.get_by_text("您已投票。")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.goto(f"{live_server}/")
    expect(phone.get_by_test_id("review-ballot-panel")).to_have_count(0)
