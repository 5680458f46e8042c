"""党小组: kept by the branch's secretary; "this 党小组" as a meeting's attendees; compliance for a
党小组会 still counts per 党支部."""

from datetime import date, timedelta

import sqlalchemy as sa

from app.branchlife import compliance, services
from app.branchlife.models import Attendance, Meeting, PartyGroup, PartyGroupMember
from app.core.models import AuditEntry
from app.extensions import db
from app.portal.models import Notification
from tests.branchlife.conftest import meeting_body
from tests.helpers import count


def make_group(client, login, people, org_tree, name="第一党小组", members=("x",)):
    login(people["secretary"])
    branch = org_tree["a1"]
    assert client.post(f"/branchlife/branches/{branch.id}/groups", data={"name": name}).status_code == 302
    group = db.session.scalar(sa.select(PartyGroup).where(PartyGroup.name == name))
    ids = [people[m].id for m in members]
    response = client.post(f"/branchlife/groups/{group.id}/members", data={"member": ids})
    assert response.status_code == 302
    return group


def test_a_group_meeting_expects_the_group_and_counts_for_the_branch(client, login, people, org_tree, clock):
    group = make_group(client, login, people, org_tree, members=("x", "secretary"))
    page = client.get(f"/branchlife/branches/{org_tree['a1'].id}/groups").get_data(as_text=True)
    assert "第一党小组" in page
    assert "本党小组" in client.get(f"/branchlife/meetings/new?branch={org_tree['a1'].id}").get_data(
        as_text=True
    )
    body = meeting_body(org_tree, clock, kind="group", topic="党小组学习", attendees={"group": group.id})
    created = client.post("/api/v1/meetings", json=body)
    assert created.status_code == 201, created.get_json()
    meeting = db.session.get(Meeting, created.get_json()["data"]["id"])
    assert (meeting.audience, meeting.group_id) == ("group", group.id)
    expected = set(
        db.session.scalars(sa.select(Attendance.user_id).where(Attendance.meeting_id == meeting.id))
    )
    assert expected == {people["x"].id, people["secretary"].id}  # not 党员丙
    told = set(
        db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "branchlife.notice"))
    )
    assert told == expected
    # the plan page's form too
    starts = (clock.now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    ends = (clock.now + timedelta(days=2, hours=1)).strftime("%Y-%m-%dT%H:%M")
    form = {
        "kind": "group",
        "title": "第二次党小组会",
        "starts_at": starts,
        "ends_at": ends,
        "place": "会议室",
    }
    response = client.post(
        f"/branchlife/meetings/new?branch={org_tree['a1'].id}",
        data={**form, "audience": "group", "group": group.id, "draft": "0"},
    )
    assert response.status_code == 302
    assert count(Meeting, Meeting.group_id == group.id) == 2

    clock.advance(24 * 3600 + 100 * 60)
    services.finalise_meeting(people["secretary"], meeting, "学习了党章")
    db.session.commit()
    board = compliance.board(org_tree["a1"], 2026, date(2026, 3, 3))
    assert next(k for k in board[0].kinds if k.kind == "group").held == 1


def test_members_move_between_groups_and_outsiders_are_refused(client, login, people, org_tree, clock):
    first = make_group(client, login, people, org_tree, members=("x", "y"))
    second = make_group(client, login, people, org_tree, name="第二党小组", members=("y",))
    rows = dict(db.session.execute(sa.select(PartyGroupMember.user_id, PartyGroupMember.group_id)).all())
    assert rows == {people["x"].id: first.id, people["y"].id: second.id}  # one 党小组 per member
    client.post(f"/branchlife/groups/{first.id}/members", data={"member": [people["other_member"].id]})
    assert count(PartyGroupMember, PartyGroupMember.group_id == first.id) == 1  # refused, unchanged
    # same name twice → refused; an empty group cannot be a meeting's attendees
    client.post(f"/branchlife/branches/{org_tree['a1'].id}/groups", data={"name": "第一党小组"})
    assert count(PartyGroup) == 2
    client.post(f"/branchlife/groups/{first.id}/members", data={})
    body = meeting_body(org_tree, clock, kind="group", attendees={"group": first.id})
    assert client.post("/api/v1/meetings", json=body).status_code == 422
    # another branch's group is not this branch's choice
    body = meeting_body(org_tree, clock, kind="group", attendees={"group": 999999})
    assert client.post("/api/v1/meetings", json=body).status_code == 422
    assert client.post(f"/branchlife/groups/{second.id}/delete").status_code == 302
    assert count(PartyGroup) == 1
    assert count(AuditEntry, AuditEntry.action.like("branchlife.group%")) >= 5
    client.post("/logout")
    for who in ("x", "other_member", "other_coordinator"):
        login(people[who])
        assert client.get(f"/branchlife/branches/{org_tree['a1'].id}/groups").status_code == 403
        assert (
            client.post(f"/branchlife/branches/{org_tree['a1'].id}/groups", data={"name": "n"}).status_code
            == 403
        )
        assert (
            client.post(
                f"/branchlife/groups/{first.id}/members", data={"member": [people[who].id]}
            ).status_code
            == 403
        )
        assert client.post(f"/branchlife/groups/{first.id}/delete").status_code == 403
        client.post("/logout")
    assert count(PartyGroup) == 1
