"""Plan → notice → leave → check in → finalise → amend, with the server's clock moved by the test."""

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.branchlife import services
from app.branchlife.models import Amendment, Attendance, Meeting
from app.core.models import AuditEntry
from app.extensions import db
from app.portal.models import Notification
from app.records.models import HoursEntry, XapiStatement
from tests.branchlife.conftest import meeting_body
from tests.helpers import count


def hours_of(member) -> Decimal:
    return Decimal(
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(HoursEntry.hours), 0)).where(
                HoursEntry.user_id == member.id
            )
        )
    )


def plan(client, login, people, org_tree, clock, **changes):
    login(people["secretary"])
    response = client.post("/api/v1/meetings", json=meeting_body(org_tree, clock, **changes))
    assert response.status_code == 201, response.get_json()
    client.post("/logout")
    return db.session.get(Meeting, response.get_json()["data"]["id"])


def code_now(client, login, people, meeting) -> str:
    login(people["secretary"])
    response = client.get(f"/api/v1/meetings/{meeting.id}/checkin-code")
    assert response.status_code == 200, response.get_json()
    client.post("/logout")
    return response.get_json()["data"]["code"]


def test_the_secretary_plans_and_every_member_of_the_branch_is_noticed(
    client, login, people, org_tree, clock
):
    meeting = plan(client, login, people, org_tree, clock)
    assert meeting.status == "published"
    expected = set(
        db.session.scalars(sa.select(Attendance.user_id).where(Attendance.meeting_id == meeting.id))
    )
    assert expected == {people["secretary"].id, people["x"].id, people["y"].id}
    noticed = set(
        db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "branchlife.notice"))
    )
    assert noticed == expected
    login(people["x"])
    assert "学习党章" in client.get("/").get_data(as_text=True)  # the home panel
    assert "学习党章" in client.get("/branchlife/").get_data(as_text=True)


def test_the_day_before_attendees_are_reminded_once(client, login, people, org_tree, clock):
    meeting = plan(client, login, people, org_tree, clock)
    assert services.remind_tomorrow() == 1
    assert services.remind_tomorrow() == 0
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).reminded_at is not None
    assert count(Notification, Notification.kind == "branchlife.reminder") == 3


def test_a_code_outside_the_window_is_refused(client, login, people, org_tree, clock):
    meeting = plan(client, login, people, org_tree, clock)
    login(people["secretary"])
    assert client.get(f"/api/v1/meetings/{meeting.id}/checkin-code").status_code == 422  # a day early
    client.post("/logout")
    clock.advance(24 * 3600 - 20 * 60)  # 20 minutes before the start: open
    login(people["secretary"])
    code = client.get(f"/api/v1/meetings/{meeting.id}/checkin-code").get_json()["data"]["code"]
    client.post("/logout")
    clock.advance(20 * 60 + 90 * 60 + 31 * 60)  # the end plus the 30-minute grace, and a minute
    login(people["x"])
    response = client.post(f"/api/v1/meetings/{meeting.id}/checkin", json={"code": code})
    assert response.status_code == 422
    assert "签到已结束" in response.get_json()["errors"][0]["message"]
    assert (
        db.session.scalar(sa.select(Attendance.state).where(Attendance.user_id == people["x"].id))
        == "expected"
    )


def test_check_in_with_the_code_late_and_repeated(client, login, people, org_tree, clock):
    meeting = plan(client, login, people, org_tree, clock)
    clock.advance(24 * 3600)  # the start
    code = code_now(client, login, people, meeting)
    login(people["x"])
    url = f"/api/v1/meetings/{meeting.id}/checkin"
    assert client.post(url, json={"code": "000000" if code != "000000" else "111111"}).status_code == 422
    first = client.post(url, json={"code": code})
    assert first.status_code == 200
    assert first.get_json()["data"]["state"] == "present"
    clock.advance(600)
    again = client.post(url, json={"code": "wrong"})  # already in: the same state, whatever the code
    assert again.get_json()["data"] == first.get_json()["data"]
    client.post("/logout")

    clock.advance(300)  # 15 minutes after the start
    code = code_now(client, login, people, meeting)
    login(people["y"])
    assert client.post(url, json={"code": code}).get_json()["data"]["state"] == "late"
    client.post("/logout")
    login(people["other_member"])
    assert client.post(url, json={"code": code}).status_code == 403


def test_approved_leave_is_not_absence_and_earns_no_hours(client, login, people, org_tree, clock):
    meeting = plan(client, login, people, org_tree, clock)
    login(people["x"])
    response = client.post(f"/api/v1/meetings/{meeting.id}/leave", json={"reason": "出差"})
    assert response.get_json()["data"]["state"] == "leave_requested"
    client.post("/logout")
    login(people["secretary"])
    decided = client.post(
        f"/branchlife/meetings/{meeting.id}/leave/decide",
        data={"member": people["x"].id, "decision": "approve"},
    )
    assert decided.status_code == 302
    client.post("/logout")
    clock.advance(24 * 3600 + 5 * 60)
    login(people["secretary"])
    code = client.get(f"/api/v1/meetings/{meeting.id}/checkin-code").get_json()["data"]["code"]
    client.post("/logout")
    login(people["y"])
    client.post(f"/api/v1/meetings/{meeting.id}/checkin", json={"code": code})
    client.post("/logout")
    clock.advance(90 * 60)
    login(people["secretary"])
    done = client.post(
        f"/api/v1/meetings/{meeting.id}/finalize", json={"minutes": "一、学习党章。二、决议：……"}
    )
    assert done.status_code == 200
    states = dict(db.session.execute(sa.select(Attendance.user_id, Attendance.state)).tuples().all())
    assert states[people["x"].id] == "leave_approved"
    assert states[people["y"].id] == "present"
    assert states[people["secretary"].id] == "absent"
    assert hours_of(people["x"]) == 0
    assert hours_of(people["y"]) == Decimal("2.00")  # 90 minutes at 45 minutes a 学时
    assert (
        count(
            Notification, Notification.kind == "branchlife.catch_up", Notification.user_id == people["x"].id
        )
        == 1
    )
    assert count(XapiStatement, XapiStatement.verb == "attended") == 1


def test_finalising_twice_credits_once_and_amendments_keep_history(client, login, people, org_tree, clock):
    meeting = plan(client, login, people, org_tree, clock)
    clock.advance(24 * 3600)
    code = code_now(client, login, people, meeting)
    login(people["x"])
    client.post(f"/api/v1/meetings/{meeting.id}/checkin", json={"code": code})
    client.post("/logout")
    login(people["secretary"])
    clock.advance(90 * 60)
    for _ in range(2):
        assert (
            client.post(f"/api/v1/meetings/{meeting.id}/finalize", json={"minutes": "纪要"}).status_code
            == 200
        )
    assert count(HoursEntry, HoursEntry.source_ref == f"meeting:{meeting.id}") == 1

    page = f"/branchlife/meetings/{meeting.id}"
    assert client.post(f"{page}/amend", data={"minutes": "纪要（更正）", "reason": ""}).status_code == 302
    assert count(Amendment) == 0  # no reason, no amendment
    assert (
        client.post(f"{page}/amend", data={"minutes": "纪要（更正）", "reason": "补充决议"}).status_code
        == 302
    )
    amendment = db.session.scalars(sa.select(Amendment)).one()
    assert (amendment.old_value, amendment.new_value, amendment.reason) == (
        "纪要",
        "纪要（更正）",
        "补充决议",
    )
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).summary == "纪要（更正）"
    assert "补充决议" in client.get(page).get_data(as_text=True)
    assert count(AuditEntry, AuditEntry.action == "branchlife.amend") == 1
    # a present member is not marked by hand after the meeting is locked
    assert (
        client.post(f"{page}/present", data={"member": people["y"].id, "reason": "忘签"}).status_code == 302
    )
    assert hours_of(people["y"]) == 0


def test_marking_present_by_hand_needs_a_reason_and_is_audited(client, login, people, org_tree, clock):
    meeting = plan(client, login, people, org_tree, clock)
    clock.advance(24 * 3600 + 60)
    login(people["secretary"])
    page = f"/branchlife/meetings/{meeting.id}"
    client.post(f"{page}/present", data={"member": people["y"].id, "reason": ""})
    assert (
        db.session.scalar(sa.select(Attendance.state).where(Attendance.user_id == people["y"].id))
        == "expected"
    )
    client.post(f"{page}/present", data={"member": people["y"].id, "reason": "手机没电，现场确认"})
    client.post(
        f"{page}/present", data={"member": people["secretary"].id, "reason": "我在"}
    )  # not for oneself
    rows = dict(db.session.execute(sa.select(Attendance.user_id, Attendance.method)).tuples().all())
    assert rows[people["y"].id] == "manual"
    assert rows[people["secretary"].id] == ""
    assert count(AuditEntry, AuditEntry.action == "branchlife.mark_present") == 1
    clock.advance(90 * 60)
    client.post(f"{page}/finalise", data={"minutes": "纪要"})
    assert hours_of(people["y"]) == Decimal("2.00")


def test_another_branch_and_another_subtree_get_403_on_pages_and_api(client, login, people, org_tree, clock):
    meeting = plan(client, login, people, org_tree, clock)
    for who in ("other_member", "other_coordinator"):
        login(people[who])
        assert client.get(f"/branchlife/meetings/{meeting.id}").status_code == 403
        assert client.get(f"/api/v1/meetings/{meeting.id}").status_code == 403
        assert client.get(f"/api/v1/meetings/{meeting.id}/checkin-code").status_code == 403
        assert (
            client.post(f"/api/v1/meetings/{meeting.id}/finalize", json={"minutes": "x"}).status_code == 403
        )
        assert client.post(f"/api/v1/meetings/{meeting.id}/leave", json={"reason": "x"}).status_code == 403
        assert (
            client.post("/api/v1/meetings", json=meeting_body(org_tree, clock, topic="别人的会")).status_code
            == 403
        )
        assert client.get(f"/branchlife/meetings/new?branch={org_tree['a1'].id}").status_code == 403
        client.post("/logout")
    login(people["x"])  # a plain member of the branch sees it but does not run it
    assert client.get(f"/branchlife/meetings/{meeting.id}").status_code == 200
    assert client.get(f"/api/v1/meetings/{meeting.id}/checkin-code").status_code == 403
    client.post("/logout")
    login(people["coordinator"])  # the 党总支's coordinator runs it
    assert client.get(f"/api/v1/meetings/{meeting.id}").status_code == 200


def test_bad_plans_are_refused_in_chinese(client, login, people, org_tree, clock):
    login(people["secretary"])
    cases = [
        {"kind": "party"},
        {"topic": ""},
        {"starts_at": "tomorrow"},
        {"starts_at": (clock.now - timedelta(hours=1)).isoformat()},
        {"ends_at": (clock.now + timedelta(days=2)).isoformat()},
        {"place": "", "online_url": ""},
        {"online_url": "javascript:alert(1)"},
        {"attendees": [people["other_member"].id]},
        {"attendees": "everyone"},
        {"topic": 5},
    ]
    for changes in cases:
        response = client.post("/api/v1/meetings", json=meeting_body(org_tree, clock, **changes))
        assert response.status_code == 422, changes
        assert response.get_json()["errors"][0]["message"]
    assert client.post("/api/v1/meetings", data="5", content_type="application/json").status_code == 422
    assert count(Meeting) == 0
