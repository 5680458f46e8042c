"""二维码名片: signed, tamper-evident, revoked with the account, rotated with a setting."""

from datetime import timedelta

import pytest

from app.extensions import db
from app.membership.services import cards, transfers
from tests.helpers import config_set


def test_a_signed_payload_verifies(people):
    payload = cards.issue_card(people["member"])
    assert cards.verify_card(payload).member.id == people["member"].id
    assert cards.card_svg(payload).startswith("<svg")


@pytest.mark.parametrize("position", [5, 20, -3])
def test_changing_one_character_is_refused(people, position):
    payload = cards.issue_card(people["member"])
    changed = payload[position]
    altered = payload[:position] + ("A" if changed != "A" else "B") + payload[position + 1 :]
    with pytest.raises(cards.CardRefused):
        cards.verify_card(altered)


@pytest.mark.parametrize("junk", ["", "HK1", "HK1.a.b", "x" * 5000, "HK1.!!.??", 5])
def test_junk_is_refused(people, junk):
    with pytest.raises(cards.CardRefused):
        cards.verify_card(junk)


def test_a_disabled_members_card_is_refused(people):
    payload = cards.issue_card(people["member"])
    people["member"].is_active_account = False
    db.session.commit()
    with pytest.raises(cards.CardRefused, match="停用"):
        cards.verify_card(payload)


def test_a_card_from_before_a_transfer_is_refused(people):
    payload = cards.issue_card(people["member"])
    transfer = transfers.request_transfer(people["admin"], people["member"], people["tree"]["b1"], "调动")
    transfers.approve_transfer(people["admin"], transfer)
    with pytest.raises(cards.CardRefused):
        cards.verify_card(payload)
    assert cards.verify_card(cards.issue_card(people["member"]))


def test_an_old_card_expires(people, clock, app):
    payload = cards.issue_card(people["member"])
    clock.advance(timedelta(days=366).total_seconds())
    with pytest.raises(cards.CardRefused, match="过期"):
        cards.verify_card(payload)


def test_key_rotation(people, app):
    old = cards.issue_card(people["member"])
    with config_set(app, MEMBER_CARD_KEY_ID="2"):
        new = cards.issue_card(people["member"])
        assert cards.verify_card(new)
        assert cards.verify_card(old)  # retired keys still accepted by default
        with config_set(app, MEMBER_CARD_ACCEPT_RETIRED_KEYS=False):
            assert cards.verify_card(new)
            with pytest.raises(cards.CardRefused, match="密钥"):
                cards.verify_card(old)


def test_the_card_page_and_the_scan_page(people, client, login, switch_to):
    login(people["member"])
    page = client.get("/membership/card").get_data(as_text=True)
    assert "<svg" in page
    assert client.get("/membership/scan").status_code == 403
    payload = cards.issue_card(people["member"])
    switch_to(people["secretary"])
    page = client.post("/membership/scan", data={"payload": payload}).get_data(as_text=True)
    assert "张三" in page
    assert "名片有效" in page
    assert people["member"].mobile not in page  # only name, branch and status
    assert client.post("/membership/scan", data={"payload": payload[:-2] + "xx"}).status_code == 422


def test_the_card_api(people, client, login, switch_to):
    login(people["member"])
    data = client.get(f"/api/v1/members/{people['member'].id}/card").get_json()["data"]
    assert data["svg"].startswith("<svg")
    assert client.get(f"/api/v1/members/{people['neighbour'].id}/card").status_code == 403
    assert client.post("/api/v1/cards/verify", json={"payload": data["payload"]}).status_code == 403
    switch_to(people["coordinator"])
    response = client.post("/api/v1/cards/verify", json={"payload": data["payload"]})
    assert response.status_code == 200
    assert response.get_json()["data"]["name"] == "张三"
    assert client.post("/api/v1/cards/verify", json={"payload": data["payload"] + "x"}).status_code == 422
    assert client.post("/api/v1/cards/verify", json={"payload": 5}).status_code == 422


def test_only_the_scan_page_may_use_the_camera_and_it_loads_the_local_decoder(people, client, login):
    login(people["secretary"])
    scan = client.get("/membership/scan")
    assert "camera=(self)" in scan.headers["Permissions-Policy"]
    page = scan.get_data(as_text=True)
    assert "/static/vendor/jsQR." in page  # served from here, no CDN
    assert 'id="payload"' in page  # pasting stays the fallback
    for elsewhere in (
        "/membership/card",
        "/membership/transfers",
        f"/membership/members/{people['member'].id}/archive",
    ):
        assert "camera=()" in client.get(elsewhere).headers["Permissions-Policy"], elsewhere
