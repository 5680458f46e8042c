"""红色地图: bounding boxes (good and bad), nearby branches in order, a branch's contacts and open
activities, the admins' places and branch positions, and the map page's images policy."""

from datetime import timedelta
from decimal import Decimal

import pytest

from app.accounts.models import BranchPosition
from app.assessment.atlas import services
from app.assessment.atlas.models import Place, PlaceKind
from app.branchlife.models import Meeting
from app.core.clock import utcnow
from app.core.headers import CONTENT_SECURITY_POLICY
from app.extensions import db
from tests.helpers import config_set, count


@pytest.fixture
def located(org_tree):
    """a1 in central Beijing, a2 2 km east, b1 in Shanghai; b2 has no position."""
    positions = {
        "a1": ("39.904200", "116.407400"),
        "a2": ("39.904200", "116.430000"),
        "b1": ("31.230400", "121.473700"),
    }
    for key, (lat, lng) in positions.items():
        org_tree[key].latitude, org_tree[key].longitude = Decimal(lat), Decimal(lng)
        org_tree[key].address = f"{org_tree[key].name}的地址"
    db.session.add(
        Place(
            name="中共一大会址", kind=PlaceKind.EDUCATION_BASE, address="上海市黄浦区兴业路76号",
            latitude=Decimal("31.221800"), longitude=Decimal("121.469500"), description="", contact="",
        )
    )  # fmt: skip
    db.session.commit()
    return org_tree


BEIJING = "116.0,39.5,117.0,40.5"


def test_a_bbox_returns_only_what_lies_inside(located, client, login_as):
    login_as("member", branch=located["a1"])
    data = client.get(f"/api/v1/map/places?bbox={BEIJING}").get_json()["data"]
    assert {b["name"] for b in data["branches"]} == {"机关第一党支部", "机关第二党支部"}
    assert data["places"] == []
    shanghai = client.get("/api/v1/map/places?bbox=121,31,122,32").get_json()["data"]
    assert [p["name"] for p in shanghai["places"]] == ["中共一大会址"]
    assert [b["name"] for b in shanghai["branches"]] == ["生产运行党支部"]


@pytest.mark.parametrize(
    "bbox",
    [
        "",
        "1,2,3",
        "1,2,3,4,5",
        "a,b,c,d",
        "116,39,NaN,40",
        "116,39,Infinity,40",
        "117,39,116,40",  # west east of east
        "116,40,117,39",
        "-181,0,10,10",
        "0,-91,10,10",
        "1e400,0,2,1",
        "1" * 30 + ",0,2,1",
        "１１６,39,117,40",
    ],
)
def test_a_bad_bbox_is_422_with_a_chinese_message(bbox, located, client, login_as):
    login_as("member", branch=located["a1"])
    response = client.get(f"/api/v1/map/places?bbox={bbox}")
    assert response.status_code == 422
    body = response.get_json()
    assert body["success"] is False
    assert "bbox" in body["errors"][0]["message"]
    assert body["errors"][0]["field"] == "bbox"


def test_the_map_api_needs_a_login(client):
    assert client.get(f"/api/v1/map/places?bbox={BEIJING}").status_code == 401


def test_nearby_branches_nearest_first(located):
    nearby = services.nearby_branches(located["a1"])
    assert [b.name for b in nearby] == ["机关第二党支部", "生产运行党支部"]
    assert services.nearby_branches(located["b2"]) == []


def test_a_branch_card_shows_contacts_and_only_upcoming_open_published_meetings(located, create_member):
    a1 = located["a1"]
    create_member(a1, position=BranchPosition.SECRETARY)
    create_member(a1, position=BranchPosition.MEMBER)
    now = utcnow()
    for title, starts, status, is_open in (
        ("开放的主题党日", now + timedelta(days=3), "published", True),
        ("内部支部大会", now + timedelta(days=2), "published", False),
        ("已过去的开放活动", now - timedelta(days=2), "published", True),
        ("草稿开放活动", now + timedelta(days=4), "draft", True),
    ):
        db.session.add(
            Meeting(
                branch_id=a1.id, branch_name=a1.name, kind="theme_day", title=title, held_on=starts.date(),
                minutes=60, status=status, starts_at=starts, ends_at=starts + timedelta(hours=1),
                is_open=is_open,
            )
        )  # fmt: skip
    db.session.commit()
    card = services.branch_cards([a1], origin=located["a2"])[0]
    assert [m.title for m in card.meetings] == ["开放的主题党日"]
    assert [c.position for c in card.contacts] == [BranchPosition.SECRETARY]
    assert 1.5 < card.distance_km < 2.5


def test_the_map_page_lists_own_and_nearby_branches(located, client, login_as):
    login_as("member", branch=located["a1"])
    response = client.get("/map/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.index("我的组织") < page.index("机关第二党支部") < page.index("生产运行党支部")
    assert "中共一大会址" in page
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert client.get(f"/map/branches/{located['b1'].id}").status_code == 200
    assert client.get("/map/branches/99999").status_code == 404


def test_a_configured_tile_server_is_allowed_for_images_on_the_map_page_only(located, app, client, login_as):
    login_as("member", branch=located["a1"])
    with config_set(app, MAP_TILE_URL="https://{s}.tiles.intranet.example/{z}/{x}/{y}.png"):
        policy = client.get("/map/").headers["Content-Security-Policy"]
        assert "img-src 'self' data: blob: https://*.tiles.intranet.example" in policy
        assert "tiles.intranet" not in client.get("/").headers["Content-Security-Policy"]


# --- upkeep (admins) ------------------------------------------------------------------------------


def test_only_admins_keep_places(located, client, login_as):
    login_as("coordinator", branch=located["root"])
    assert client.get("/map/places").status_code == 403
    assert client.post("/map/places/new", data={"name": "x"}).status_code == 403


def test_an_admin_adds_edits_and_deletes_a_place(located, client, login_as):
    login_as("admin")
    form = {"name": "西柏坡纪念馆", "kind": "education_base", "address": "河北省平山县", "latitude": "38.35",
            "longitude": "113.96", "contact": "0311-1234567", "description": "新中国从这里走来"}  # fmt: skip
    assert client.post("/map/places/new", data=form).status_code == 302
    place = db.session.query(Place).filter_by(name="西柏坡纪念馆").one()
    assert place.latitude == Decimal("38.350000")
    bad = client.post(f"/map/places/{place.id}/edit", data={**form, "latitude": "95"})
    assert bad.status_code == 422
    missing = client.post("/map/places/new", data={**form, "name": "只有纬度", "longitude": ""})
    assert missing.status_code == 422
    assert "请同时填写纬度和经度" in missing.get_data(as_text=True)
    assert client.post(f"/map/places/{place.id}/delete").status_code == 302
    assert count(Place) == 1


def test_an_admin_sets_a_branch_position_on_the_branch_form(located, client, login_as):
    login_as("admin")
    b2 = located["b2"]
    form = {"name": b2.name, "kind": "branch", "parent_id": b2.parent_id, "address": "检修车间二楼",
            "latitude": "30.5", "longitude": "114.3", "contact_phone": "027-88888888"}  # fmt: skip
    assert client.post(f"/org/branches/{b2.id}/edit", data=form).status_code == 302
    db.session.refresh(b2)
    assert (b2.latitude, b2.longitude, b2.contact_phone) == (
        Decimal("30.5"),
        Decimal("114.3"),
        "027-88888888",
    )
    only_one = client.post(f"/org/branches/{b2.id}/edit", data={**form, "longitude": ""})
    assert only_one.status_code == 422
    assert "请同时填写纬度和经度" in only_one.get_data(as_text=True)


def test_a_meeting_planned_open_is_listed_on_the_branch_card(located, create_member):
    from app.branchlife.services import MeetingPlan, plan_meeting

    a1 = located["a1"]
    secretary = create_member(a1, position=BranchPosition.SECRETARY)
    starts = utcnow().replace(microsecond=0) + timedelta(days=5)
    for title, is_open in (("开放日：参观教育基地", True), ("支委会", False)):
        plan_meeting(
            secretary, a1, MeetingPlan("theme_day", title, starts, starts + timedelta(hours=2), "党员活动室",
                                       is_open=is_open),
        )  # fmt: skip
    db.session.commit()
    assert [m.title for m in services.branch_cards([a1])[0].meetings] == ["开放日：参观教育基地"]
