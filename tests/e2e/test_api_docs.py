"""The API docs page in a real browser, under the site's Content-Security-Policy: Swagger UI from
local files, booted by a script file, lists the operations of /api/v1/openapi.json."""

import pytest
from playwright.sync_api import expect

from app.accounts import services
from app.extensions import db
from app.org.services import create_branch
from tests.e2e.pages import PASSWORD, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def reader(live_server):
    with live_server.app.app_context():
        root = create_branch("接口文档党委", "committee", None, actor=None)
        branch = create_branch("接口文档党支部", "branch", root, actor=None)
        data = services.UserData(employee_no="DOC01", name="赵开发", branch_id=branch.id)
        services.create_user(data, ["member"], actor=None, password=PASSWORD)
        db.session.commit()
    return "DOC01"


def test_the_docs_page_lists_the_operations_under_the_policy(live_server, reader, desktop):
    violations = []
    desktop.on(
        "console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None
    )
    log_in(desktop, live_server, reader)
    desktop.goto(f"{live_server}/api/v1/docs")
    # Swagger UI is a big bundle (1.4 MB): on a loaded two-core machine it takes seconds to start.
    expect(desktop.locator(".swagger-ui .info .title")).to_contain_text("红课 API", timeout=30_000)
    expect(desktop.locator(".opblock-summary-path", has_text="/lessons/{lesson_id}").first).to_be_visible()
    assert violations == []
