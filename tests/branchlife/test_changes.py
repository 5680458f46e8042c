"""Editing and cancelling a planned meeting before it starts: by who runs the branch, attendees told,
a cancelled meeting never held; a started or finalised meeting cannot change this way."""

import re
from datetime import date

import pytest

from app.branchlife import compliance, services
from app.branchlife.models import Meeting
from app.core.models import AuditEntry
from app.extensions import db
from app.portal.models import Notification
from tests.branchlife.test_flow import code_now, plan
from tests.helpers import count


def edit_form(meeting, **changes):
    form = {
        "kind": meeting.kind,
        "title": meeting.title,
        "starts_at": "2026-03-05T14:00",
        "ends_at": "2026-03-05T15:30",
        "place": "五楼党员活动室",
        "online_url": "",
        "agenda": "一、学习党章",
    }
    form.update(changes)
    return form


def test_the_secretary_edits_a_planned_meeting_and_attendees_are_told(client, login, people, org_tree, clock):
    meeting = plan(client, login, people, org_tree, clock)
    login(people["secretary"])
    assert client.get(f"/branchlife/meetings/{meeting.id}").get_data(as_text=True).count("修改会议") >= 1
    page = client.get(f"/branchlife/meetings/{meeting.id}/edit")
    assert page.status_code == 200
    assert "三楼会议室" in page.get_data(as_text=True)  # filled in with the meeting as planned
    response = client.post(f"/branchlife/meetings/{meeting.id}/edit", data=edit_form(meeting))
    assert response.status_code == 302
    db.session.expire_all()
    meeting = db.session.get(Meeting, meeting.id)
    assert (meeting.place, meeting.held_on, meeting.minutes) == ("五楼党员活动室", date(2026, 3, 5), 90)
    told = {n.user_id for n in db.session.query(Notification).filter_by(kind="branchlife.changed")}
    assert told == {people["secretary"].id, people["x"].id, people["y"].id}
    assert count(AuditEntry, AuditEntry.action == "branchlife.edit") == 1
    # nonsense is refused in Chinese, the meeting unchanged
    bad = client.post(
        f"/branchlife/meetings/{meeting.id}/edit", data=edit_form(meeting, ends_at="2026-03-05T13:00")
    )
    assert bad.status_code == 422
    assert "会议时长" in bad.get_data(as_text=True)


def test_editing_opens_a_meeting_to_every_member_and_closes_it_again(client, login, people, org_tree, clock):
    """The plan form offered 对全体党员开放 (shown on the red map); the edit form could not change it."""
    meeting = plan(client, login, people, org_tree, clock)
    assert meeting.is_open is False
    login(people["secretary"])
    page = client.get(f"/branchlife/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert "对全体党员开放" in page
    assert (
        client.post(
            f"/branchlife/meetings/{meeting.id}/edit", data=edit_form(meeting, is_open="y")
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).is_open is True
    audit = db.session.query(AuditEntry).filter_by(action="branchlife.edit").one()
    assert "对全体党员开放）" in audit.summary.split("→")[1]
    page = client.get(f"/branchlife/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert "checked" in re.search(r'<input[^>]*name="is_open"[^>]*>', page).group(0)  # shown as it is
    assert client.post(f"/branchlife/meetings/{meeting.id}/edit", data=edit_form(meeting)).status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).is_open is False


def test_cancelling_tells_attendees_and_never_counts_as_held(client, login, people, org_tree, clock):
    meeting = plan(client, login, people, org_tree, clock, kind="general_assembly")
    login(people["coordinator"])  # a coordinator of the subtree may cancel too
    refused = client.post(f"/branchlife/meetings/{meeting.id}/cancel", data={"reason": ""})
    assert refused.status_code == 302
    assert db.session.get(Meeting, meeting.id).status == "published"
    done = client.post(f"/branchlife/meetings/{meeting.id}/cancel", data={"reason": "上级会议冲突"})
    assert done.status_code == 302
    db.session.expire_all()
    meeting = db.session.get(Meeting, meeting.id)
    assert (meeting.status, meeting.cancel_reason) == ("cancelled", "上级会议冲突")
    told = {n.user_id for n in db.session.query(Notification).filter_by(kind="branchlife.cancelled")}
    assert told == {people["secretary"].id, people["x"].id, people["y"].id}
    assert "上级会议冲突" in client.get(f"/branchlife/meetings/{meeting.id}").get_data(as_text=True)
    # not on anyone's coming meetings, cannot be finalised, and the board does not count it
    assert services.upcoming_for(people["x"]) == []
    clock.advance(2 * 24 * 3600)
    with pytest.raises(services.BranchLifeError):
        services.finalise_meeting(people["secretary"], meeting, "纪要")
    db.session.rollback()
    board = compliance.board(org_tree["a1"], 2026, date(2026, 3, 4))
    assembly = next(k for k in board[0].kinds if k.kind == "general_assembly")
    assert assembly.held == 0


def test_a_started_checked_in_or_finalised_meeting_cannot_change(client, login, people, org_tree, clock):
    meeting = plan(client, login, people, org_tree, clock)
    clock.advance(24 * 3600 - 10 * 60)  # ten minutes before the start: check-in is open
    code = code_now(client, login, people, meeting)
    login(people["x"])
    assert client.post(f"/api/v1/meetings/{meeting.id}/checkin", json={"code": code}).status_code == 200
    client.post("/logout")
    with pytest.raises(services.BranchLifeError) as refused:
        services.cancel_meeting(people["secretary"], meeting, "改期")
    assert refused.value.status == 409
    db.session.rollback()

    other = plan(client, login, people, org_tree, clock, topic="另一个会")
    clock.advance(24 * 3600 + 60)  # it has started
    login(people["secretary"])
    response = client.post(
        f"/branchlife/meetings/{other.id}/edit",
        data=edit_form(other, starts_at="2026-03-09T14:00", ends_at="2026-03-09T15:00"),
    )
    assert response.status_code == 409
    assert client.post(f"/branchlife/meetings/{other.id}/cancel", data={"reason": "改期"}).status_code == 302
    assert db.session.get(Meeting, other.id).status == "published"
    assert "edit-meeting" not in client.get(f"/branchlife/meetings/{other.id}").get_data(as_text=True)
    clock.advance(3600)
    services.finalise_meeting(people["secretary"], db.session.get(Meeting, other.id), "纪要")
    db.session.commit()
    with pytest.raises(services.BranchLifeError) as refused:
        services.cancel_meeting(people["secretary"], db.session.get(Meeting, other.id), "改期")
    assert refused.value.status == 409


def test_others_get_403(client, login, people, org_tree, clock):
    meeting = plan(client, login, people, org_tree, clock)
    for who in ("x", "other_member", "other_coordinator"):
        login(people[who])
        assert client.get(f"/branchlife/meetings/{meeting.id}/edit").status_code == 403
        assert (
            client.post(f"/branchlife/meetings/{meeting.id}/edit", data=edit_form(meeting)).status_code == 403
        )
        assert (
            client.post(f"/branchlife/meetings/{meeting.id}/cancel", data={"reason": "x"}).status_code == 403
        )
        client.post("/logout")
    assert db.session.get(Meeting, meeting.id).status == "published"
