"""党务统计 in a real browser: a coordinator's page draws every chart from its JSON under the site's
Content-Security-Policy (no inline script), with nothing logged as an error."""

import pytest

from app.accounts import services
from app.assessment.statistics.charts import CHARTS
from app.extensions import db
from app.org.services import create_branch
from tests.e2e.pages import PASSWORD, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def coordinator(live_server):
    with live_server.app.app_context():
        root = create_branch("统计测试党委", "committee", None, actor=None)
        branch = create_branch("统计测试党支部", "branch", root, actor=None)
        for no, roles in (("ST001", ["coordinator", "member"]), ("ST002", ["member"])):
            data = services.UserData(
                employee_no=no, name=f"统计{no}", branch_id=root.id if no == "ST001" else branch.id
            )
            services.create_user(data, roles, actor=None, password=PASSWORD)
        db.session.commit()


def test_every_chart_is_drawn_without_errors(live_server, coordinator, desktop):
    errors, failed = [], []
    desktop.on("pageerror", lambda error: errors.append(str(error)))
    desktop.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    log_in(desktop, live_server, "ST001")
    desktop.goto(f"{live_server}/assessment/statistics/")
    desktop.wait_for_function(
        "() => [...document.querySelectorAll('canvas.hk-stat-chart')].every(c => window.Chart.getChart(c))"
    )
    titles = desktop.locator(".hk-chart-title").all_inner_texts()
    assert len(titles) == len(CHARTS)
    assert not any("加载中" in t for t in titles)
    assert errors == []
    assert [url for url in failed if "favicon" not in url] == []
