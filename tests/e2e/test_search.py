"""The /search page in a real browser on a 375 px phone: type, get highlighted results, filter."""

import re

import pytest
from playwright.sync_api import expect

from app.accounts import services as account_services
from app.extensions import db
from app.kb import authoring as kb_authoring
from app.org.services import create_branch
from search_index import indexing
from tests.e2e.pages import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cast(live_server):
    with live_server.app.app_context():
        root = create_branch("搜索测试党委", "committee", None, actor=None)
        data = account_services.UserData(employee_no="SE001", name="搜索员", branch_id=root.id)
        account_services.create_user(data, ["member"], actor=None, password=PASSWORD)
        author_data = account_services.UserData(employee_no="SE002", name="搜索组织员", branch_id=root.id)
        author = account_services.create_user(author_data, ["coordinator"], actor=None, password=PASSWORD)
        titled = kb_authoring.create_article(
            author, "三会一课", "三会一课是党的组织生活的基本制度。", status="published"
        )
        kb_authoring.create_article(
            author, "企业党建工作信息化建设", "推进三会一课线上记录。", status="published"
        )
        db.session.commit()
        # Index this server's database directly (the tests' eager Celery may be bound to another app).
        indexing.rebuild(procs=1)
        return {"employee_no": "SE001", "titled_id": titled.id}


def test_a_member_searches_on_a_phone(live_server, cast, phone, tmp_path):
    phone.goto(f"{live_server}/login")
    phone.get_by_label("工号或手机号").fill(cast["employee_no"])
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url(f"{live_server}/")

    phone.goto(f"{live_server}/search")
    phone.get_by_test_id("search-input").fill("三會一課")  # Traditional, as typed on some phones
    phone.get_by_role("button", name="搜索", exact=True).click()

    results = phone.get_by_test_id("search-results")
    expect(results).to_contain_text("企业党建工作信息化建设")
    expect(results.locator("a").first).to_contain_text("三会一课")
    expect(results.locator("a").first.locator("mark").first).to_have_text("三会一课")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # nothing wider than the phone
    phone.screenshot(path=str(tmp_path / "search-phone.png"), full_page=True)

    phone.get_by_test_id("search-types").get_by_role("link", name="知识百科", exact=True).click()
    expect(phone).to_have_url(re.compile(r"type=article"))
    results.locator("a").first.click()
    expect(phone).to_have_url(f"{live_server}/kb/articles/{cast['titled_id']}")
