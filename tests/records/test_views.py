"""Training records and coordinator tracking over HTTP, from the right role and the wrong one."""

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.core.signals import notification_requested
from app.extensions import db
from app.records import manual, services


@pytest.fixture
def people(create_user, org_tree):
    coordinator = create_user("coordinator", "member", branch=org_tree["a"], name="赵组织")
    a1 = [create_user(branch=org_tree["a1"], name=f"甲{i}") for i in range(3)]
    b1 = create_user(branch=org_tree["b1"], name="乙外支")
    manual.credit_manual_hours(a1[0], Decimal("40"), "全年学习", coordinator)
    manual.credit_manual_hours(a1[1], Decimal("3"), "党课", coordinator)
    manual.credit_manual_hours(b1, Decimal("5"), "党课", coordinator)
    db.session.commit()
    return {"coordinator": coordinator, "a1": a1, "b1": b1, "tree": org_tree}


def test_member_sees_their_own_record_and_not_anyone_elses(client, login, people):
    member = people["a1"][1]
    login(member)
    page = client.get("/records/me").get_data(as_text=True)
    assert "3.00" in page
    assert "/ 32" in page
    assert client.get(f"/records/members/{people['a1'][0].id}").status_code == 403
    assert client.get("/records/dashboard").status_code == 403
    assert client.get("/records/export.csv").status_code == 403


def test_coordinator_dashboard_rolls_up_only_their_subtree(client, login, people):
    login(people["coordinator"])
    page = client.get("/records/dashboard").get_data(as_text=True)
    assert "机关第一党支部" in page
    assert "生产运行党支部" not in page
    assert client.get(f"/records/members?branch={people['tree']['b1'].id}").status_code == 403
    assert client.get(f"/records/members/{people['b1'].id}").status_code == 403


def test_dashboard_is_a_fixed_number_of_queries(client, login, people, create_user, count_queries):
    login(people["coordinator"])
    client.get("/records/dashboard")
    with count_queries() as few:
        client.get("/records/dashboard")
    for i in range(25):
        create_user(branch=people["tree"]["a2"], name=f"丙{i}")
    with count_queries() as many:
        client.get("/records/dashboard")
    assert len(many) == len(few)


def test_csv_export_streams_scoped_rows(client, login, people):
    login(people["coordinator"])
    response = client.get("/records/export.csv")
    assert response.status_code == 200
    assert response.is_streamed
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["工号", "姓名", "所属组织"]
    names = {r[1] for r in rows[1:]}
    assert {"甲0", "甲1", "甲2", "赵组织"} <= names
    assert "乙外支" not in names
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name["甲0"][6] == "40.00"
    assert by_name["甲0"][8] == "100%"


def test_xlsx_export_opens_and_filters_behind_pace(client, login, people):
    login(people["coordinator"])
    response = client.get("/records/export.xlsx?behind=1")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "甲0" not in names  # 40 of 32: ahead of any pace
    assert "甲2" in names


def test_manual_entry_needs_a_reason_and_scope(client, login, people):
    login(people["coordinator"])
    target = people["a1"][2]
    response = client.post(f"/records/members/{target.id}/entries", data={"hours": "2", "reason": ""})
    assert response.status_code == 302
    assert services.hours_by_year(target.id) == []
    client.post(f"/records/members/{target.id}/entries", data={"hours": "2", "reason": "支部书记讲党课"})
    assert services.hours_by_year(target.id)[0][1] == Decimal("2.00")
    outside = client.post(f"/records/members/{people['b1'].id}/entries", data={"hours": "2", "reason": "x"})
    assert outside.status_code == 403


def test_member_cannot_add_hours_for_themselves(client, login, people):
    member = people["a1"][2]
    login(member)
    assert (
        client.post(f"/records/members/{member.id}/entries", data={"hours": "9", "reason": "x"}).status_code
        == 403
    )
    assert services.hours_by_year(member.id) == []


def test_remind_behind_pace_members_in_one_click(client, login, people):
    login(people["coordinator"])
    sent = []

    def receiver(sender, **kwargs):
        sent.append(kwargs)

    with notification_requested.connected_to(receiver):
        client.post("/records/remind")
    assert len(sent) == 1
    recipients = set(sent[0]["user_ids"])
    assert people["a1"][2].id in recipients
    assert people["a1"][0].id not in recipients
    assert people["b1"].id not in recipients


def test_xapi_statements_are_scoped_to_the_coordinator(client, login, people, create_user):
    services.credit_offline_hours(
        people["a1"][0],
        source_kind="meeting",
        source_ref="meeting:7",
        minutes=45,
        actor=None,
        reason="支部委员会",
    )
    services.credit_offline_hours(
        people["b1"],
        source_kind="meeting",
        source_ref="meeting:8",
        minutes=45,
        actor=None,
        reason="外支部会议",
    )
    db.session.commit()
    login(people["coordinator"])
    body = client.get("/api/v1/xapi/statements").get_json()
    assert body["success"] is True, body
    statements = body["data"]["statements"]
    # The actor is the member's 工号 in an account, never their name.
    assert [s["actor"]["account"]["name"] for s in statements] == [people["a1"][0].employee_no]
    assert "name" not in statements[0]["actor"]
    assert statements[0]["verb"]["id"] == "http://adlnet.gov/expapi/verbs/attended"
    assert statements[0]["result"] == {"duration": "PT45M"}
    assert client.get("/api/v1/xapi/statements?since=yesterday").status_code == 400


def test_member_cannot_read_xapi_but_reads_their_own_record(client, login, people):
    login(people["a1"][1])
    assert client.get("/api/v1/xapi/statements").status_code == 403
    data = client.get("/api/v1/records/me").get_json()["data"]
    assert data["hours"] == 3.0
    assert data["target"] == 32.0


def test_member_hours_list_shows_hours_against_target(client, login, people):
    login(people["coordinator"])
    page = client.get(f"/records/members?branch={people['tree']['a1'].id}").get_data(as_text=True)
    assert "甲0" in page
    assert "40.00" in page
    behind = client.get(f"/records/members?branch={people['tree']['a1'].id}&behind=1").get_data(as_text=True)
    assert "甲2" in behind
    assert "甲0" not in behind
