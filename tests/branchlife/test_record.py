"""三会一课: a coordinator records a branch's meeting; each member present is credited once."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.branchlife.models import Meeting
from app.core.clock import localtoday
from app.core.models import AuditEntry
from app.extensions import db
from app.records import manual, services
from app.records.models import HoursEntry, HoursTotal, XapiStatement
from tests.helpers import count


@pytest.fixture
def people(create_user, org_tree):
    return {
        "coordinator": create_user("coordinator", "member", branch=org_tree["a"]),
        "other_coordinator": create_user("coordinator", "member", branch=org_tree["b"]),
        "x": create_user(branch=org_tree["a1"], name="甲"),
        "y": create_user(branch=org_tree["a1"], name="乙"),
        "z": create_user(branch=org_tree["a1"], name="丙"),
        "outsider": create_user(branch=org_tree["b1"], name="丁"),
        "member": create_user(branch=org_tree["a2"]),
    }


def meeting_form(members, **fields):
    data = {
        "kind": "group",
        "title": "学习党章",
        "held_on": (localtoday() - timedelta(days=1)).isoformat(),
        "minutes": "90",
        "member": [m.id for m in members],
    }
    data.update(fields)
    return data


def hours_of(member) -> Decimal:
    return Decimal(
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(HoursEntry.hours), 0)).where(
                HoursEntry.user_id == member.id
            )
        )
    )


def test_a_coordinator_records_a_meeting_and_the_members_present_are_credited(
    client, login, people, org_tree
):
    login(people["coordinator"])
    form_page = client.get(f"/branchlife/meetings/record?branch={org_tree['a1'].id}").get_data(as_text=True)
    assert "甲" in form_page
    assert "丙" in form_page
    assert "丁" not in form_page

    response = client.post(
        f"/branchlife/meetings/record?branch={org_tree['a1'].id}",
        data=meeting_form([people["x"], people["y"]]),
    )
    assert response.status_code == 302
    meeting = db.session.scalars(sa.select(Meeting)).one()
    assert response.headers["Location"].endswith(f"/branchlife/meetings/{meeting.id}")
    assert (meeting.attendees, meeting.branch_name) == (2, "机关第一党支部")
    assert hours_of(people["x"]) == hours_of(people["y"]) == Decimal("2.00")  # 90 minutes
    assert hours_of(people["z"]) == 0  # absent
    year = localtoday().year
    assert db.session.get(HoursTotal, (people["x"].id, year)).hours == Decimal("2.00")
    assert count(XapiStatement, XapiStatement.verb == "attended") == 2
    assert count(AuditEntry, AuditEntry.action == "hours.meeting") == 1

    detail = client.get(f"/branchlife/meetings/{meeting.id}").get_data(as_text=True)
    assert "党小组会：学习党章" in detail
    assert "甲" in detail
    assert "丙" not in detail
    assert "学习党章" in client.get("/branchlife/meetings").get_data(as_text=True)
    record = client.get(f"/records/members/{people['x'].id}").get_data(as_text=True)
    assert "党小组会：学习党章" in record
    assert list(services.verify_ledger()) == []


def test_the_same_meeting_twice_is_refused_and_credits_nothing_more(client, login, people, org_tree):
    login(people["coordinator"])
    url = f"/branchlife/meetings/record?branch={org_tree['a1'].id}"
    assert client.post(url, data=meeting_form([people["x"]])).status_code == 302
    again = client.post(url, data=meeting_form([people["x"], people["y"]]))
    assert again.status_code == 422
    assert "已经记录过" in again.get_data(as_text=True)
    assert count(Meeting) == 1
    assert (hours_of(people["x"]), hours_of(people["y"])) == (Decimal("2.00"), 0)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "请填写会议主题"),
        ({"title": "长" * 121}, "不能超过 120 个字"),
        ({"kind": "party"}, "不是有效的选择"),
        ({"held_on": ""}, "请填写会议日期"),
        ({"held_on": "2026-13-45"}, "会议日期"),
        ({"held_on": "1999-12-31"}, "日期不能早于 2000 年"),
        ({"minutes": "0"}, "会议时长"),
        ({"minutes": "481"}, "会议时长"),
        ({"minutes": "一小时"}, "会议时长"),
        ({"member": []}, "请至少选择一名出席成员"),
    ],
)
def test_bad_meetings_are_refused_in_chinese_and_record_nothing(
    client, login, people, org_tree, fields, message
):
    login(people["coordinator"])
    response = client.post(
        f"/branchlife/meetings/record?branch={org_tree['a1'].id}", data=meeting_form([people["x"]], **fields)
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert count(Meeting) == 0
    assert count(HoursEntry) == 0


def test_a_future_meeting_and_members_of_another_branch_are_refused(client, login, people, org_tree):
    login(people["coordinator"])
    url = f"/branchlife/meetings/record?branch={org_tree['a1'].id}"
    future = client.post(
        url, data=meeting_form([people["x"]], held_on=(localtoday() + timedelta(days=1)).isoformat())
    )
    assert future.status_code == 422
    assert "不能晚于今天" in future.get_data(as_text=True)
    # a member of a2 (same 党总支, another 党支部) and one of another 党总支 altogether
    stranger = client.post(url, data=meeting_form([people["x"], people["member"], people["outsider"]]))
    assert stranger.status_code == 422
    assert "有 2 名所选成员不属于「机关第一党支部」" in stranger.get_data(as_text=True)
    assert count(HoursEntry) == 0


def test_meetings_from_the_wrong_role_or_outside_the_subtree(client, login, people, org_tree):
    login(people["coordinator"])
    client.post(f"/branchlife/meetings/record?branch={org_tree['a1'].id}", data=meeting_form([people["x"]]))
    meeting = db.session.scalars(sa.select(Meeting)).one()
    client.post("/logout")

    login(people["member"])  # a member of another 党支部
    for url in ("/branchlife/meetings/record", f"/branchlife/meetings/{meeting.id}"):
        assert client.get(url).status_code == 403
    assert "学习党章" not in client.get("/branchlife/meetings").get_data(as_text=True)
    client.post("/logout")

    login(people["other_coordinator"])
    assert client.get(f"/branchlife/meetings/{meeting.id}").status_code == 403
    assert "学习党章" not in client.get("/branchlife/meetings").get_data(as_text=True)
    assert client.get(f"/branchlife/meetings/record?branch={org_tree['a1'].id}").status_code == 403
    posted = client.post(
        f"/branchlife/meetings/record?branch={org_tree['a1'].id}", data=meeting_form([people["x"]])
    )
    assert posted.status_code == 403
    assert client.get("/branchlife/meetings/999999").status_code == 404
    assert client.get("/branchlife/meetings/record?branch=999999").status_code == 404
    assert hours_of(people["x"]) == Decimal("2.00")  # only the first meeting


def test_one_batch_appends_to_many_chains_and_keeps_each_intact(people, org_tree):
    from app.branchlife.services import MeetingData, record_meeting

    members = [people["x"], people["y"], people["z"]]
    manual.credit_manual_hours(people["x"], Decimal("1"), "补录", people["coordinator"])
    day = localtoday() - timedelta(days=2)
    for kind in ("group", "general_assembly", "lecture"):
        record_meeting(
            people["coordinator"], org_tree["a1"], MeetingData(kind, "主题", day, 45, [m.id for m in members])
        )
    db.session.commit()
    chains = {
        m.name: [e.chain_index for e in db.session.scalars(services.entries_for(m.id)).all()] for m in members
    }
    assert sorted(chains["甲"]) == [1, 2, 3, 4]
    assert sorted(chains["乙"]) == [1, 2, 3]
    assert hours_of(people["z"]) == Decimal("3.00")
    assert list(services.verify_ledger()) == []
