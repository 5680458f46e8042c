"""Meeting check-in with the member's 二维码名片: the secretary scans or pastes it at the venue, sees
the member's name and photo, and confirms that this is the person in front of them."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.accounts import services as accounts
from app.branchlife.models import Attendance
from app.core.models import AuditEntry
from app.extensions import db
from app.membership.services import cards, photos
from tests.branchlife.test_flow import hours_of, plan
from tests.helpers import config_set, count
from tests.membership.test_photos import picture


def state_of(member) -> tuple[str, str]:
    db.session.expire_all()
    return db.session.execute(
        sa.select(Attendance.state, Attendance.method).where(Attendance.user_id == member.id)
    ).one()


@pytest.fixture
def started(client, login, people, org_tree, clock):
    """A 支委会 of 机关第一党支部 at its start, the secretary signed in on the client."""
    meeting = plan(client, login, people, org_tree, clock)
    clock.advance(24 * 3600)
    login(people["secretary"])
    return meeting


def scan(client, meeting, payload, confirm=True):
    """Scan (the page shows who the card is for), then, when the shown page offers it, confirm."""
    url = f"/branchlife/meetings/{meeting.id}/checkin/card"
    shown = client.post(url, data={"payload": payload}, follow_redirects=True)
    if not confirm or 'data-testid="card-confirm-submit"' not in shown.get_data(as_text=True):
        return shown
    return client.post(url, data={"payload": payload, "confirm": "1"}, follow_redirects=True)


def test_a_scan_shows_the_member_and_records_nothing_until_confirmed(app, client, people, started, tmp_path):
    member = people["x"]
    with config_set(app, MEMBERSHIP_UPLOAD_DIR=str(tmp_path / "membership")):
        photos.set_photo(member, member, picture(), "me.jpg")
        db.session.commit()
        page = scan(client, started, cards.issue_card(member), confirm=False).get_data(as_text=True)
        assert state_of(member) == ("expected", "")
        assert count(AuditEntry, AuditEntry.action == "branchlife.card_checkin") == 0
        assert re.search(rf'data-testid="card-confirm-name">{member.name}', page)
        photo_url = re.search(r'src="([^"]+)"[^>]*data-testid="card-confirm-photo"', page).group(1)
        assert client.get(photo_url.replace("&amp;", "&")).status_code == 200
    shown = scan(client, started, cards.issue_card(people["y"]), confirm=False).get_data(as_text=True)
    assert 'data-testid="card-confirm-no-photo"' in shown  # no photo: the page says to check who it is
    assert "已确认本人在场并签到" in scan(client, started, cards.issue_card(member)).get_data(as_text=True)
    assert state_of(member) == ("present", "card")


def test_confirming_still_verifies_the_card_and_the_role(client, login, people, started):
    """The confirmation is no shortcut: a forged card or a member's own post is refused there too."""
    url = f"/branchlife/meetings/{started.id}/checkin/card"
    forged = cards.issue_card(people["x"])[:-3] + "AAA"
    assert "名片无效" in client.post(
        url, data={"payload": forged, "confirm": "1"}, follow_redirects=True
    ).get_data(as_text=True)
    client.post("/logout")
    login(people["y"])
    response = client.post(url, data={"payload": cards.issue_card(people["x"]), "confirm": "1"})
    assert response.status_code == 403
    assert state_of(people["x"]) == ("expected", "")


def test_a_scanned_card_checks_the_member_in_once_and_earns_hours(client, people, started, clock):
    page = client.get(f"/branchlife/meetings/{started.id}").get_data(as_text=True)
    assert 'data-testid="card-checkin"' in page
    payload = cards.issue_card(people["x"])
    assert "已确认本人在场并签到" in scan(client, started, payload).get_data(as_text=True)
    assert state_of(people["x"]) == ("present", "card")
    clock.advance(600)
    scan(client, started, payload)  # a repeat changes nothing
    assert state_of(people["x"]) == ("present", "card")
    assert count(AuditEntry, AuditEntry.action == "branchlife.card_checkin") == 1

    clock.advance(20 * 60)  # now late: another member scanned in
    scan(client, started, cards.issue_card(people["y"]))
    assert state_of(people["y"]) == ("late", "card")

    clock.advance(90 * 60)
    client.post(f"/branchlife/meetings/{started.id}/finalise", data={"minutes": "纪要"})
    assert hours_of(people["x"]) == Decimal("2.00")
    assert hours_of(people["y"]) == Decimal("2.00")


def test_a_forged_card_is_refused_in_chinese(client, people, started):
    payload = cards.issue_card(people["x"])
    forged = payload[:-3] + ("AAA" if not payload.endswith("AAA") else "BBB")
    assert "名片无效" in scan(client, started, forged).get_data(as_text=True)
    assert "名片无效" in scan(client, started, "not a card").get_data(as_text=True)
    assert state_of(people["x"]) == ("expected", "")


def test_a_revoked_card_is_refused(client, people, started):
    payload = cards.issue_card(people["x"])
    accounts.set_user_active(people["x"], False, people["coordinator"])
    db.session.commit()
    assert "名片已吊销" in scan(client, started, payload).get_data(as_text=True)
    assert state_of(people["x"]) == ("expected", "")


def test_a_stranger_is_refused(client, people, started):
    stranger = people["other_member"]
    text = scan(client, started, cards.issue_card(stranger)).get_data(as_text=True)
    assert f"{stranger.name} 不是这次会议的参会人员" in text
    assert count(Attendance, Attendance.user_id == stranger.id) == 0


def test_the_secretary_cannot_scan_their_own_card(client, people, started):
    response = client.post(
        f"/branchlife/meetings/{started.id}/checkin/card",
        data={"payload": cards.issue_card(people["secretary"])},
    )
    assert response.status_code == 403
    assert state_of(people["secretary"]) == ("expected", "")


def test_outside_the_window_a_card_is_refused(client, login, people, org_tree, clock):
    meeting = plan(client, login, people, org_tree, clock)  # tomorrow: not open yet
    login(people["secretary"])
    assert "签到尚未开始" in scan(client, meeting, cards.issue_card(people["x"])).get_data(as_text=True)
    assert state_of(people["x"]) == ("expected", "")


@pytest.mark.parametrize("who", ["x", "other_coordinator", "other_member"])
def test_only_those_who_run_the_meeting_may_scan(client, login, people, org_tree, clock, who):
    meeting = plan(client, login, people, org_tree, clock)
    clock.advance(24 * 3600)
    login(people[who])
    response = client.post(
        f"/branchlife/meetings/{meeting.id}/checkin/card", data={"payload": cards.issue_card(people["y"])}
    )
    assert response.status_code == 403
    assert state_of(people["y"]) == ("expected", "")


def test_a_secretary_whose_card_a_coordinator_scanned_finalises_their_own_meeting(
    client, login, people, org_tree, clock
):
    """The coordinator scans everyone at the door, the secretary included; the secretary finalises.
    The coordinator, who saw them, vouches for the hours, not the secretary for themselves."""
    meeting = plan(client, login, people, org_tree, clock)
    clock.advance(24 * 3600)
    login(people["coordinator"])
    scan(client, meeting, cards.issue_card(people["secretary"]))
    scan(client, meeting, cards.issue_card(people["x"]))
    client.post("/logout")
    clock.advance(120 * 60)
    login(people["secretary"])
    client.post(f"/branchlife/meetings/{meeting.id}/finalise", data={"minutes": "纪要"})
    db.session.expire_all()
    assert meeting.status == "finalised"
    assert hours_of(people["secretary"]) == Decimal("2.00")
    assert hours_of(people["x"]) == Decimal("2.00")
