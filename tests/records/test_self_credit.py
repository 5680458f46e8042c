"""Finding 7 of the trust review: nobody records hours for themselves, and large manual entries
need a second coordinator. Written as the coordinator who would try it."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.branchlife.services import MeetingData, record_meeting
from app.core.clock import localtoday
from app.core.errors import DomainError
from app.extensions import db
from app.records import manual, services
from app.records.models import HoursEntry, ManualHoursRequest


@pytest.fixture
def people(create_user, org_tree):
    return {
        "coordinator": create_user("coordinator", "member", branch=org_tree["a1"], name="甲组织员"),
        "second": create_user("coordinator", "member", branch=org_tree["a"], name="乙组织员"),
        "outsider": create_user("coordinator", "member", branch=org_tree["b"], name="丙组织员"),
        "member": create_user(branch=org_tree["a1"], name="党员丁"),
        "admin": create_user("admin", branch=org_tree["root"], name="管理员"),
    }


def hours_of(user) -> Decimal:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(HoursEntry.hours), 0)).where(HoursEntry.user_id == user.id)
    )


def test_finding7_coordinator_cannot_credit_themselves(client, login, people):
    me = people["coordinator"]
    login(me)
    response = client.post(f"/records/members/{me.id}/entries", data={"hours": "100", "reason": "自学"})
    assert response.status_code == 403
    response = client.post(f"/records/members/{me.id}/entries", data={"hours": "1", "reason": "自学"})
    assert response.status_code == 403
    assert hours_of(me) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ManualHoursRequest)) == 0


def test_finding7_admin_cannot_credit_themselves_either(people):
    admin = people["admin"]
    with pytest.raises(services.RecordsError) as error:
        manual.credit_manual_hours(admin, Decimal("2"), "自学", admin)
    assert error.value.status == 403
    assert hours_of(admin) == 0


def test_finding7_a_meeting_the_recorder_attended_is_refused_and_credits_nobody(
    client, login, people, org_tree
):
    me, member = people["coordinator"], people["member"]
    login(me)
    response = client.post(
        f"/branchlife/meetings/record?branch={org_tree['a1'].id}",
        data={
            "kind": "group",
            "title": "学习党章",
            "held_on": (localtoday() - timedelta(days=1)).isoformat(),
            "minutes": "90",
            "member": [str(me.id), str(member.id)],
        },
    )
    assert response.status_code == 403
    assert "不能为自己" in response.get_data(as_text=True)
    assert hours_of(me) == 0
    assert hours_of(member) == 0


def test_finding7_a_meeting_recorded_by_another_coordinator_credits_the_secretary(people, org_tree):
    me, member = people["coordinator"], people["member"]
    day = localtoday() - timedelta(days=1)
    record_meeting(
        people["second"], org_tree["a1"], MeetingData("group", "学习党章", day, 90, [me.id, member.id])
    )
    db.session.commit()
    assert hours_of(me) == Decimal("2.00")


def test_finding7_nobody_reverses_their_own_entries(people):
    me = people["coordinator"]
    entry = manual.credit_manual_hours(me, Decimal("2"), "党课", people["second"])
    with pytest.raises(services.RecordsError) as error:
        services.reverse_entry(entry, "记错了", me)
    assert error.value.status == 403


def test_finding7_a_large_manual_entry_waits_for_a_second_coordinator(client, login, people):
    member = people["member"]
    login(people["coordinator"])
    response = client.post(
        f"/records/members/{member.id}/entries", data={"hours": "100", "reason": "补录全年"}
    )
    assert response.status_code == 302
    assert hours_of(member) == 0
    held = db.session.scalars(sa.select(ManualHoursRequest)).one()
    assert held.status == "pending"
    # The requester cannot approve it, even by posting the form directly.
    mine = client.post(f"/records/approvals/{held.id}", data={"decision": "approve"})
    assert mine.status_code == 403
    assert hours_of(member) == 0
    client.post("/logout")
    # A coordinator of another subtree cannot see or approve it.
    login(people["outsider"])
    assert "补录全年" not in client.get("/records/approvals").get_data(as_text=True)
    assert client.post(f"/records/approvals/{held.id}", data={"decision": "approve"}).status_code == 403
    client.post("/logout")
    # The member cannot either.
    login(member)
    assert client.post(f"/records/approvals/{held.id}", data={"decision": "approve"}).status_code == 403
    client.post("/logout")
    login(people["second"])
    page = client.get("/records/approvals").get_data(as_text=True)
    assert "补录全年" in page
    assert client.post(f"/records/approvals/{held.id}", data={"decision": "approve"}).status_code == 302
    assert hours_of(member) == Decimal("100.00")
    again = client.post(f"/records/approvals/{held.id}", data={"decision": "approve"})
    assert again.status_code == 302
    assert hours_of(member) == Decimal("100.00")  # approved once, credited once
    entry = db.session.scalars(sa.select(HoursEntry).where(HoursEntry.user_id == member.id)).one()
    assert entry.recorded_by_id == people["coordinator"].id
    assert "乙组织员" in entry.reason


def test_finding7_small_entries_are_credited_at_once(client, login, people):
    member = people["member"]
    login(people["coordinator"])
    client.post(f"/records/members/{member.id}/entries", data={"hours": "4", "reason": "党课"})
    assert hours_of(member) == Decimal("4.00")


def test_finding7_a_rejection_needs_a_reason_and_credits_nothing(people):
    member = people["member"]
    held = manual.request_manual_hours(member, Decimal("10"), "补录", people["coordinator"])
    with pytest.raises(services.RecordsError):
        manual.reject_manual_request(held, people["second"], "  ")
    manual.reject_manual_request(held, people["second"], "没有佐证材料")
    db.session.commit()
    assert held.status == "rejected"
    with pytest.raises(services.RecordsError):
        manual.approve_manual_request(held, people["second"])
    assert hours_of(member) == 0


def test_finding7_a_coordinator_cannot_approve_hours_requested_for_themselves(people):
    held = manual.request_manual_hours(people["second"], Decimal("10"), "补录", people["coordinator"])
    with pytest.raises(services.RecordsError) as error:
        manual.approve_manual_request(held, people["second"])
    assert error.value.status == 403
    assert hours_of(people["second"]) == 0


def test_review_slicing_a_big_entry_into_small_ones_still_needs_a_second_coordinator(client, login, people):
    member = people["member"]
    login(people["coordinator"])
    for _ in range(5):
        client.post(f"/records/members/{member.id}/entries", data={"hours": "4", "reason": "补录"})
    assert hours_of(member) == Decimal("4.00")  # the first slice; the rest wait for approval
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ManualHoursRequest)) == 4


def test_review_meetings_of_one_day_cannot_credit_more_than_the_day_holds(people, org_tree):
    member = people["member"]
    day = localtoday() - timedelta(days=1)
    for n in range(2):
        record_meeting(
            people["second"], org_tree["a1"], MeetingData("group", f"学习{n}", day, 240, [member.id])
        )
    db.session.commit()
    with pytest.raises(DomainError, match="超过 8 小时"):
        record_meeting(people["second"], org_tree["a1"], MeetingData("group", "学习2", day, 45, [member.id]))
    assert hours_of(member) == 2 * services.hours_for_minutes(240)
