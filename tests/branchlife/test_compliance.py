"""The compliance board counts finalised meetings per branch, kind and period; the server's clock
decides what is overdue."""

from datetime import UTC, date, datetime

import pytest

from app.branchlife import compliance, services
from app.extensions import db
from app.portal.models import Notification
from tests.helpers import count


@pytest.fixture
def clock_start():
    return datetime(2026, 3, 31, 8, 0, tzinfo=UTC)  # the last day of the first quarter (Beijing)


def hold(people, org_tree, kind, day):
    services.record_meeting(
        people["coordinator"],
        org_tree["a1"],
        services.MeetingData(kind, f"{kind}{day}", day, 60, [people["x"].id]),
    )
    db.session.commit()


def status_of(rows, kind):
    return next(k for k in rows if k.kind == kind)


def test_a_quarter_without_a_general_assembly_is_overdue_the_next_day(people, org_tree, clock):
    hold(people, org_tree, "committee", date(2026, 1, 10))
    hold(people, org_tree, "committee", date(2026, 3, 10))
    board = compliance.board(org_tree["a1"], 2026, date(2026, 3, 31))
    assembly = status_of(board[0].kinds, "general_assembly")
    assert (assembly.overdue, assembly.due) == ([], "2026Q1")  # still due on the last day
    clock.advance(24 * 3600)  # 1 April
    board = compliance.board(org_tree["a1"], 2026, date(2026, 4, 1))
    assembly = status_of(board[0].kinds, "general_assembly")
    assert assembly.overdue == ["2026Q1"]
    committee = status_of(board[0].kinds, "committee")
    assert (committee.held, committee.overdue, committee.due) == (2, ["2026-02"], "2026-04")


def test_api_and_page_roll_up_for_coordinators_and_refuse_others(client, login, people, org_tree, clock):
    hold(people, org_tree, "general_assembly", date(2026, 2, 10))
    clock.advance(24 * 3600)
    login(people["coordinator"])
    data = client.get(f"/api/v1/branches/{org_tree['a'].id}/compliance?year=2026").get_json()["data"]
    assembly = next(k for k in data["kinds"] if k["kind"] == "general_assembly")
    assert (assembly["required"], assembly["held"]) == (4, 1)  # two 党支部 × Q1 and Q2
    assert assembly["overdue_periods"] == ["机关第二党支部:2026Q1"]
    assert {b["name"] for b in data["branches"]} == {"机关第一党支部", "机关第二党支部"}
    page = client.get(f"/branchlife/compliance?branch={org_tree['a'].id}&year=2026")
    assert page.status_code == 200
    assert "机关第二党支部" in page.get_data(as_text=True)
    csv = client.get(f"/branchlife/compliance.csv?branch={org_tree['a'].id}&year=2026")
    assert "机关第二党支部" in csv.get_data(as_text=True)
    xlsx = client.get(f"/branchlife/compliance.xlsx?branch={org_tree['a'].id}&year=2026")
    assert xlsx.data[:2] == b"PK"
    reminded = client.post(f"/branchlife/compliance/remind?branch={org_tree['a'].id}&year=2026")
    assert reminded.status_code == 302
    assert count(Notification, Notification.kind == "branchlife.compliance") == 1  # the a1 secretary
    client.post("/logout")
    for who in ("other_coordinator", "other_member", "x"):
        login(people[who])
        assert client.get(f"/api/v1/branches/{org_tree['a1'].id}/compliance").status_code == 403
        assert client.get(f"/branchlife/compliance?branch={org_tree['a1'].id}").status_code == 403
        client.post("/logout")
    login(people["secretary"])  # a secretary sees their own branch's board
    data = client.get(f"/api/v1/branches/{org_tree['a1'].id}/compliance?year=2026").get_json()["data"]
    assert "branches" not in data
