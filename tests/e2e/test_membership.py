"""Acceptance in a real browser at 375×812: a member shows their QR card, the receiving secretary
scans (pastes) it to start a transfer in, the sending side approves, and the member appears in the
new branch with their hours unchanged."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.accounts import services
from app.accounts.models import User
from app.extensions import db
from app.org.services import create_branch
from app.records.services import append_entry, hours_by_year
from tests.e2e.pages import PASSWORD, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cast(live_server):
    with live_server.app.app_context():
        root = create_branch("转接测试党委", "committee", None, actor=None)
        old = create_branch("转出党支部", "branch", root, actor=None)
        new = create_branch("转入党支部", "branch", root, actor=None)

        def user(no, name, where, position=None):
            data = services.UserData(employee_no=no, name=name, branch_id=where.id, position=position)
            return services.create_user(data, ["member"], actor=None, password=PASSWORD)

        member = user("TR001", "钱转接", old)
        user("TR002", "孙转出书记", old, "secretary")
        user("TR003", "李转入书记", new, "secretary")
        append_entry(
            member, hours=Decimal("12.5"), source_kind="manual", source_ref="e2e:transfer", actor=None,
            reason="线下学习", occurred_at=datetime(2026, 3, 1, 4, tzinfo=UTC),
        )  # fmt: skip
        db.session.commit()
        return {"member_id": member.id, "new": new.id, "hours": hours_by_year(member.id)}


def phone_page(browser):
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    return context, context.new_page()


def test_a_card_scanned_starts_a_transfer_that_the_sending_side_completes(live_server, cast, browser):
    contexts = []
    try:
        member_ctx, member = phone_page(browser)
        contexts.append(member_ctx)
        log_in(member, live_server, "TR001")
        member.goto(f"{live_server}/membership/card")
        expect(member.get_by_test_id("member-card")).to_contain_text("转出党支部")
        payload = member.get_by_test_id("card-payload").input_value()
        assert member.evaluate("document.documentElement.scrollWidth") <= 375

        receiving_ctx, receiving = phone_page(browser)
        contexts.append(receiving_ctx)
        log_in(receiving, live_server, "TR003")
        receiving.goto(f"{live_server}/membership/scan")
        receiving.get_by_label("名片内容").fill(payload)
        receiving.get_by_role("button", name="核验").click()
        expect(receiving.get_by_test_id("scan-result")).to_contain_text("钱转接")
        receiving.get_by_role("button", name="接收转入本支部").click()
        expect(receiving.get_by_test_id("transfers")).to_contain_text("转出党支部 → 转入党支部")

        sending_ctx, sending = phone_page(browser)
        contexts.append(sending_ctx)
        log_in(sending, live_server, "TR002")
        sending.goto(f"{live_server}/membership/transfers")
        sending.on("dialog", lambda dialog: dialog.accept())
        sending.get_by_role("button", name="同意", exact=True).click()
        expect(sending.get_by_test_id("transfers")).to_contain_text("已完成")

        member.goto(f"{live_server}/membership/card")
        expect(member.get_by_test_id("member-card")).to_contain_text("转入党支部")
        with live_server.app.app_context():
            moved = db.session.scalar(sa.select(User).where(User.id == cast["member_id"]))
            assert moved.branch_id == cast["new"]
            assert hours_by_year(moved.id) == cast["hours"]
            db.session.remove()
    finally:
        for context in contexts:
            context.close()


def _card_video(payload: str, path) -> None:
    """A still Y4M video of the card's QR code on white: what Chromium's fake camera films."""
    import io

    import segno
    from PIL import Image

    png = io.BytesIO()
    segno.make(payload, error="m").save(png, kind="png", scale=4, border=4)
    code = Image.open(io.BytesIO(png.getvalue())).convert("RGB")
    frame = Image.new("RGB", (640, 480), "white")
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    planes = y.tobytes() + cb.resize((320, 240)).tobytes() + cr.resize((320, 240)).tobytes()
    path.write_bytes(b"YUV4MPEG2 W640 H480 F5:1 Ip A1:1 C420jpeg\n" + b"FRAME\n" + planes)


def test_the_scan_page_reads_the_card_with_the_camera(live_server, cast, browser, tmp_path):
    """Chromium's fake camera films the member's card; jsQR (headless Chromium on Linux has no
    BarcodeDetector) reads it and the page verifies it, nothing pasted."""
    from app.membership.services import cards
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    with live_server.app.app_context():
        payload = cards.issue_card(db.session.get(User, cast["member_id"]))
        db.session.remove()
    video = tmp_path / "card.y4m"
    _card_video(payload, video)
    camera = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    filming = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + camera
    )
    try:
        context, page = phone_page(filming)
        context.grant_permissions(["camera"], origin=live_server)
        log_in(page, live_server, "TR003")
        response = page.goto(f"{live_server}/membership/scan")
        assert "camera=(self)" in response.headers["permissions-policy"]
        page.get_by_test_id("scan-start").click()
        expect(page.get_by_test_id("scan-result")).to_contain_text("钱转接", timeout=20_000)
        assert page.get_by_label("名片内容").input_value() == payload
    finally:
        filming.close()
