"""Two flows in a real browser: a coordinator's branch 学时证明 ZIP made in the background (its
progress page, then the download: one PDF per member), and a secretary checking a member in at a
started meeting with the member's 二维码名片 (the confirmation page, then the member present)."""

import io
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine
from playwright.sync_api import expect

from app.accounts import jobs, services
from app.accounts.models import BranchPosition, ImportJob, User
from app.core.clock import LOCAL_TZ, localtoday, utcnow
from app.extensions import db
from app.membership.services import cards
from app.org.models import Branch
from app.org.services import create_branch
from app.records import manual, proof_exports
from app.records.tasks import export_branch_proofs
from tests.e2e.pages import PASSWORD, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cast(live_server):
    with live_server.app.app_context():
        root = create_branch("后台任务测试党委", "committee", None, actor=None)
        branch = create_branch("后台任务第一党支部", "branch", root, actor=None)

        def user(no, name, roles=("member",)):
            data = services.UserData(employee_no=no, name=name, branch_id=branch.id)
            return services.create_user(data, list(roles), actor=None, password=PASSWORD)

        coordinator = services.create_user(
            services.UserData(employee_no="JB900", name="孙组织委员", branch_id=root.id),
            ["coordinator"],
            actor=None,
            password=PASSWORD,
        )
        secretary = user("JB901", "周书记")
        secretary.position = BranchPosition.SECRETARY
        members = [user("JB902", "吴党员"), user("JB903", "郑党员"), user("JB904", "王党员")]
        db.session.flush()
        for member in members:
            manual.credit_manual_hours(member, Decimal("2"), "主题党日", coordinator)
        db.session.commit()
        return {"root_id": root.id, "branch_id": branch.id, "members": [m.id for m in members]}


def test_a_coordinator_makes_the_branch_zip_and_downloads_one_pdf_per_member(live_server, cast, desktop):
    page = desktop
    year = localtoday().year
    log_in(page, live_server, "JB900")
    page.goto(f"{live_server}/records/dashboard?year={year}")
    page.get_by_role("link", name=f"生成 后台任务测试党委 {year} 年全体成员学时证明压缩包").click()
    page.get_by_test_id("start-proof-export").click()
    # The progress page (its worker runs eagerly in the test server) polls until the job is done.
    expect(page.get_by_test_id("import-done")).to_contain_text("共 3 份学时证明")
    with page.expect_download() as info:
        page.get_by_test_id("proof-export-download").click()
    download = info.value
    assert download.suggested_filename.endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(download.path().read_bytes()))
    names = archive.namelist()
    assert len(names) == 3
    for name in ("吴党员", "郑党员", "王党员"):
        assert any(name in n and n.endswith(".pdf") for n in names)
    assert all(archive.read(n).startswith(b"%PDF") for n in names)


def test_a_secretary_checks_a_member_in_with_the_pasted_card(live_server, cast, desktop):
    page = desktop
    log_in(page, live_server, "JB901")
    with live_server.app.app_context():
        payload = cards.issue_card(db.session.get(User, cast["members"][0]))
    with time_machine.travel(utcnow(), tick=True) as server_clock:
        starts = (utcnow() + timedelta(minutes=10)).astimezone(LOCAL_TZ).replace(second=0, microsecond=0)
        page.goto(f"{live_server}/branchlife/meetings/new?branch={cast['branch_id']}")
        page.get_by_label("会议类型").select_option("committee")
        page.get_by_label("会议主题").fill("名片签到演练")
        page.get_by_label("开始时间").fill(starts.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_label("结束时间").fill((starts + timedelta(minutes=90)).strftime("%Y-%m-%dT%H:%M"))
        page.get_by_label("地点").fill("二楼会议室")
        page.get_by_role("button", name="安排会议").click()
        expect(page.get_by_test_id("meeting-status")).to_have_text("已发布")
        meeting_url = page.url

        server_clock.shift(timedelta(minutes=11))  # the meeting has started
        page.reload()
        page.get_by_label("扫描或粘贴参会党员的二维码名片").fill(payload)
        page.get_by_role("button", name="核验名片").click()

        expect(page.get_by_test_id("card-confirm-name")).to_contain_text("吴党员")
        expect(page.get_by_test_id("card-confirm-no-photo")).to_be_visible()
        page.get_by_test_id("card-confirm-submit").click()
        expect(page.get_by_text("已确认本人在场并签到")).to_be_visible()

        page.goto(meeting_url)
        row = page.get_by_test_id("meeting-attendees").get_by_role("row").filter(has_text="吴党员")
        expect(row).to_contain_text("出席")
        others = page.get_by_test_id("meeting-attendees").get_by_role("row").filter(has_text="郑党员")
        expect(others).to_contain_text("待签到")


def test_the_progress_page_follows_a_queued_export_to_done_or_to_its_dead_worker(live_server, cast, desktop):
    """The page of a job still queued polls its status: it reloads into the download once a worker
    has made the ZIP, and into the failure once the sweep has found a job whose worker died."""
    page = desktop
    log_in(page, live_server, "JB900")
    with live_server.app.app_context():
        coordinator = db.session.scalar(sa.select(User).where(User.employee_no == "JB900"))
        branch = db.session.get(Branch, cast["root_id"])
        queued = [
            proof_exports.create_proof_export(branch, localtoday().year, coordinator, live_server).id
            for _ in range(2)
        ]
        db.session.get(ImportJob, queued[1]).status = "running"  # a worker took it, then died
        db.session.commit()
    done_id, dead_id = queued

    page.goto(f"{live_server}/records/proof-exports/{done_id}")
    expect(page.locator("#import-progress")).to_have_text("0%")
    with live_server.app.app_context():
        export_branch_proofs.apply(args=[done_id])
    expect(page.get_by_test_id("import-done")).to_contain_text("共 3 份学时证明")
    expect(page.get_by_test_id("proof-export-download")).to_be_visible()

    page.goto(f"{live_server}/records/proof-exports/{dead_id}")
    expect(page.locator("#import-progress")).to_have_text("0%")
    with live_server.app.app_context():
        stale_after = live_server.app.config["JOB_STALE_AFTER_SECONDS"]
        assert jobs.sweep_stale_jobs(stale_after, now=utcnow() + timedelta(seconds=stale_after + 1)) == [
            dead_id
        ]
        db.session.commit()
    expect(page.get_by_test_id("import-rejected")).to_have_text(
        "后台任务中断（处理进程可能已重启），请重新提交。"
    )
    expect(page.get_by_test_id("proof-export-download")).to_have_count(0)
