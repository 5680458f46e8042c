"""党课 at least quarterly with the 书记 giving at least one a year: who gave each 党课 is recorded
when it is planned or finalised, and a year without one by the branch's 书记 is a shortfall on the
board, the API and the export."""

from datetime import date, timedelta

import pytest

from app.branchlife import compliance, kinds, services
from app.branchlife.models import Meeting
from app.extensions import db
from tests.branchlife.conftest import meeting_body


def lecture(people, org_tree, lecturer, day=date(2026, 2, 10)):
    meeting = services.record_meeting(
        people["coordinator"],
        org_tree["a1"],
        services.MeetingData("lecture", f"党课{day}", day, 90, [people["y"].id], lecturer.id),
    )
    db.session.commit()
    return meeting


def secretary_rule(board):
    return next(k for k in board[0].kinds if k.kind == kinds.SECRETARY_LECTURE)


def test_a_year_without_a_lecture_by_the_secretary_is_a_shortfall(people, org_tree, clock):
    meeting = lecture(people, org_tree, people["x"])  # a 党课, but not by the 书记
    assert (meeting.lecturer_id, meeting.lecturer_is_secretary) == (people["x"].id, False)
    rule = secretary_rule(compliance.board(org_tree["a1"], 2026, date(2026, 3, 2)))
    assert (rule.required, rule.held, rule.overdue, rule.due) == (1, 0, [], "2026")
    rule = secretary_rule(compliance.board(org_tree["a1"], 2026, date(2027, 1, 1)))
    assert (rule.held, rule.overdue) == (0, ["2026"])
    lecture_kind = next(
        k for k in compliance.board(org_tree["a1"], 2026, date(2026, 3, 2))[0].kinds if k.kind == "lecture"
    )
    assert lecture_kind.held == 1  # it still counts as a 党课

    lecture(people, org_tree, people["secretary"], date(2026, 2, 20))
    rule = secretary_rule(compliance.board(org_tree["a1"], 2026, date(2027, 1, 1)))
    assert (rule.held, rule.overdue) == (1, [])


def test_a_lecturer_outside_the_branch_is_refused_and_other_kinds_have_none(people, org_tree, clock):
    with pytest.raises(services.BranchLifeError) as refused:
        lecture(people, org_tree, people["other_member"])
    assert (refused.value.status, refused.value.field) == (422, "lecturer")
    db.session.rollback()
    meeting = services.record_meeting(
        people["coordinator"],
        org_tree["a1"],
        services.MeetingData(
            "group", "党小组会", date(2026, 2, 1), 60, [people["y"].id], people["secretary"].id
        ),
    )
    assert meeting.lecturer_id is None
    assert not meeting.lecturer_is_secretary


def test_planned_lecture_finalised_with_the_secretary_shows_on_api_and_export(
    client, login, people, org_tree, clock
):
    login(people["secretary"])
    body = meeting_body(org_tree, clock, kind="lecture", topic="书记讲党课", lecturer_id=people["x"].id)
    created = client.post("/api/v1/meetings", json=body)
    assert created.status_code == 201, created.get_json()
    data = created.get_json()["data"]
    assert (data["lecturer_id"], data["lecturer_is_secretary"]) == (people["x"].id, False)
    clock.advance(timedelta(days=1, minutes=100).total_seconds())
    login(people["secretary"])  # the session of yesterday has expired
    done = client.post(
        f"/api/v1/meetings/{data['id']}/finalize",
        json={"minutes": "书记讲授党课", "lecturer_id": people["secretary"].id},
    )
    assert done.status_code == 200
    assert done.get_json()["data"]["lecturer_is_secretary"] is True
    assert db.session.get(Meeting, data["id"]).lecturer_id == people["secretary"].id
    board = client.get(f"/api/v1/branches/{org_tree['a1'].id}/compliance?year=2026").get_json()["data"]
    rule = next(k for k in board["kinds"] if k["kind"] == kinds.SECRETARY_LECTURE)
    assert (rule["required"], rule["held"], rule["due"]) == (1, 1, None)
    page = client.get(f"/branchlife/meetings/{data['id']}").get_data(as_text=True)
    assert "主讲：书记甲" in page
    csv = client.get(f"/branchlife/compliance.csv?branch={org_tree['a1'].id}&year=2026").get_data(
        as_text=True
    )
    assert "书记讲党课" in csv


def test_the_compliance_page_shows_the_secretary_rule(client, login, people, org_tree, clock):
    lecture(people, org_tree, people["x"])
    login(people["coordinator"])
    page = client.get(f"/branchlife/compliance?branch={org_tree['a1'].id}&year=2026").get_data(as_text=True)
    assert "书记讲党课" in page
