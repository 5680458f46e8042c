"""The Content-Security-Policy in a real browser: pages work with scripts from files only, and the
confirmations that used to be inline handlers still stop a click that is not confirmed."""

import re

import pytest
from playwright.sync_api import expect

from app.accounts import services
from app.extensions import db
from app.org.services import create_branch
from tests.e2e.pages import PASSWORD, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cast(live_server):
    with live_server.app.app_context():
        root = create_branch("安全策略党委", "committee", None, actor=None)
        branch = create_branch("安全策略党支部", "branch", root, actor=None)

        def user(no, name, roles):
            data = services.UserData(employee_no=no, name=name, branch_id=branch.id)
            return services.create_user(data, roles, actor=None, password=PASSWORD)

        user("CSP01", "钱管理", ["admin", "coordinator", "member"])
        member = user("CSP02", "李成员", ["member"])
        db.session.commit()
        return {"member_id": member.id}


def test_pages_run_under_the_policy_and_confirmations_still_ask(live_server, cast, desktop):
    violations = []
    desktop.on(
        "console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None
    )
    log_in(desktop, live_server, "CSP01")

    desktop.goto(f"{live_server}/records/dashboard")
    # The chart is drawn by a script file: Chart.js sizes its canvas when it runs.
    expect(desktop.locator("#hours-chart")).to_have_attribute("style", re.compile("width"))

    desktop.goto(f"{live_server}/users/{cast['member_id']}")
    desktop.get_by_placeholder("新密码").fill("Another-pass-2026")
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    desktop.once("dialog", dismiss)
    desktop.get_by_role("button", name="重置密码").click()
    assert asked == ["确定重置该用户的密码？"]
    expect(desktop.get_by_text("密码已重置")).to_have_count(0)

    desktop.once("dialog", lambda dialog: dialog.accept())
    desktop.get_by_role("button", name="重置密码").click()
    expect(desktop.get_by_text("密码已重置，用户下次登录时须修改。")).to_be_visible()
    assert violations == []
