"""Members log in from their phones; coordinators work on a PC."""

import pytest

from app.accounts import services
from app.accounts.models import MemberCategory
from app.extensions import db
from app.org.services import create_branch
from tests.e2e.pages import PASSWORD, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def people(live_server):
    with live_server.app.app_context():
        root = create_branch("公司党委", "committee", None, actor=None)
        general = create_branch("机关党总支", "general_branch", root, actor=None)
        branch = create_branch("机关第一党支部", "branch", general, actor=None)
        other = create_branch("生产运行党支部", "branch", root, actor=None)

        def user(no, name, roles, where, category=None, **extra):
            data = services.UserData(employee_no=no, name=name, branch_id=where.id, **extra)
            created = services.create_user(data, roles, actor=None, password=PASSWORD)
            created.category = category  # test data: in the platform only the workflow sets it
            return created.employee_no

        result = {
            "member": user(
                "E2E001", "李学员", ["member"], branch, mobile="13912340001", category=MemberCategory.FULL
            ),
            "coordinator": user("E2E002", "赵组织", ["coordinator", "member"], general),
            "outsider": user("E2E003", "钱外支", ["member"], other),
        }
        db.session.commit()
        return result


def test_member_logs_in_on_a_phone_and_sees_their_home(live_server, people, phone, tmp_path):
    log_in(phone, live_server, "13912340001", wait=False)  # by mobile, as people do on phones

    phone.wait_for_url(f"{live_server}/")
    assert phone.get_by_test_id("greeting").inner_text() == "您好，李学员"
    assert phone.get_by_test_id("member-panel").is_visible()
    assert "学习任务" in phone.get_by_test_id("member-panel").inner_text()
    # Phone layout: nothing wider than the screen, navigation collapsed behind the toggler.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert not phone.get_by_role("link", name="首页").is_visible()
    phone.get_by_role("button", name="菜单").click()
    assert phone.get_by_role("link", name="首页").is_visible()
    # A member has no management links.
    assert phone.get_by_role("link", name="成员").count() == 0
    phone.screenshot(path=str(tmp_path / "member-home-375.png"), full_page=True)


def test_wrong_password_shows_a_clear_message(live_server, people, phone):
    log_in(phone, live_server, people["member"], "wrong-password-1", wait=False)
    assert phone.get_by_role("alert").filter(has_text="账号或密码错误").is_visible()
    assert phone.url.startswith(f"{live_server}/login")


def test_coordinator_sees_their_branch_and_not_a_sibling(live_server, people, desktop):
    log_in(desktop, live_server, people["coordinator"], wait=False)
    desktop.wait_for_url(f"{live_server}/")
    assert desktop.get_by_test_id("coordinator-panel").is_visible()
    desktop.get_by_role("button", name="管理").click()
    desktop.get_by_role("link", name="成员", exact=True).click()
    table = desktop.get_by_test_id("member-table")
    assert table.get_by_text("李学员").is_visible()
    assert table.get_by_text("钱外支").count() == 0


def test_coordinator_downloads_the_streamed_hours_export(live_server, people, desktop):
    """The CSV streams after the view returns: through a real server, not only the test client."""
    log_in(desktop, live_server, people["coordinator"], wait=False)
    desktop.wait_for_url(f"{live_server}/")
    response = desktop.request.get(f"{live_server}/records/export.csv")
    assert response.status == 200
    text = response.text().lstrip("\ufeff")
    assert text.splitlines()[0].startswith("工号,姓名,所属组织")
    assert "李学员" in text
    assert "钱外支" not in text
