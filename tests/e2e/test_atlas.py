"""红色地图 in a real browser at 375×812 with no tile server configured: the map draws its own base
layer and the branches and places in view, the list shows the member's branch first, and not one
request goes to any host but the platform's own."""

from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from app.accounts import services
from app.assessment.atlas.models import Place, PlaceKind
from app.extensions import db
from app.org.services import create_branch
from tests.e2e.pages import log_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def mapped(live_server):
    with live_server.app.app_context():
        assert not live_server.app.config["MAP_TILE_URL"]
        root = create_branch("地图测试党委", "committee", None, actor=None)
        own = create_branch("地图第一党支部", "branch", root, actor=None)
        near = create_branch("地图第二党支部", "branch", root, actor=None)
        own.latitude, own.longitude, own.address = Decimal("39.9042"), Decimal("116.4074"), "东长安街1号"
        near.latitude, near.longitude = Decimal("39.9142"), Decimal("116.4274")
        db.session.add(
            Place(
                name="地图测试教育基地", kind=PlaceKind.EDUCATION_BASE, address="北京市",
                latitude=Decimal("39.91"), longitude=Decimal("116.40"), description="", contact="",
            )
        )  # fmt: skip
        data = services.UserData(employee_no="MAP001", name="周地图", branch_id=own.id)
        services.create_user(data, ["member"], actor=None, password="Passw0rd-e2e")
        db.session.commit()


def test_the_map_page_requests_nothing_from_other_hosts(live_server, mapped, phone):
    requests = []
    phone.on("request", lambda request: requests.append(request.url))
    log_in(phone, live_server, "MAP001")
    phone.goto(f"{live_server}/map/")
    # Two branches and a place drawn as markers, and the base layer's reference cities.
    phone.wait_for_function("() => document.querySelectorAll('#hk-map path.leaflet-interactive').length >= 3")
    phone.wait_for_function("() => document.querySelectorAll('.leaflet-tooltip').length > 10")
    expect(phone.get_by_test_id("map")).to_be_visible()
    cards = phone.locator("[data-testid^=branch-card-]")
    expect(cards.first).to_contain_text("地图第一党支部")
    expect(cards.nth(1)).to_contain_text("地图第二党支部")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.locator('#hk-map path.leaflet-interactive[stroke="#c8161d"]').first.click(force=True)
    expect(phone.locator(".leaflet-popup-content")).to_be_visible()
    own = urlsplit(live_server).netloc
    assert requests, "the page made no requests at all?"
    outside = [
        url for url in requests if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != own
    ]
    assert outside == []
    assert any("/api/v1/map/places?bbox=" in url for url in requests)
    assert any("/static/atlas/base" in url for url in requests)
