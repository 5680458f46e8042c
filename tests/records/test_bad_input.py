"""Bad input to the records pages and the player's heartbeats that once answered 500 (found by the QA
sweep): each is now a 4xx with a message, and nothing is recorded."""

import pytest

from app.records.models import HoursEntry
from tests.helpers import count


@pytest.fixture
def coordinator(create_user, org_tree):
    return create_user("coordinator", "member", branch=org_tree["a"], name="赵组织")


@pytest.fixture
def member(create_user, org_tree):
    return create_user("member", branch=org_tree["a1"], name="钱党员")


@pytest.mark.parametrize("selected", ["²", "9" * 30])
def test_remind_with_an_unreadable_member_id_is_not_a_server_error(client, login, coordinator, selected):
    """``[int(v) for v in form.getlist("member") if v.isdigit()]``: "²" is a digit to isdigit but
    not to int (ValueError), and 30 nines overflow the IN (...) query: POST /records/remind → 500.
    Fix: read the ids with ``request.form.getlist("member", type=int)`` (the request's own, bounded
    int parsing) instead of isdigit + int."""
    login(coordinator)
    response = client.post("/records/remind", data={"member": selected})
    assert response.status_code < 500


def test_a_signalling_nan_as_manual_hours_is_refused_with_a_message(client, login, coordinator, member):
    """DecimalField turns "sNaN" into Decimal('sNaN'); NumberRange then calls math.isnan on it, which
    raises ValueError for a signalling NaN: POST /records/members/<id>/entries → 500.
    Fix: in ManualEntryForm, a validator (or a DecimalField subclass) that refuses any non-finite
    Decimal (``not value.is_finite()``) before NumberRange runs."""
    login(coordinator)
    response = client.post(f"/records/members/{member.id}/entries", data={"hours": "sNaN", "reason": "补录"})
    assert response.status_code < 500
    assert count(HoursEntry) == 0


def test_a_manual_entry_dated_in_year_one_is_refused(client, login, coordinator, member):
    """Only "not after today" is checked: 0001-01-01 is accepted and the hours land in year 1, a year
    no records page can show (they take 2000 to next year). Fix: refuse dates before, say, 2000 in
    credit_manual_hours (RecordsError on occurred_on), as _year() bounds the pages."""
    login(coordinator)
    client.post(
        f"/records/members/{member.id}/entries",
        data={"hours": "1", "reason": "补录", "occurred_on": "0001-01-01"},
    )
    assert count(HoursEntry) == 0


@pytest.mark.parametrize("field", ["position", "rate"])
def test_a_heartbeat_number_too_big_for_a_float_is_refused_by_name(client, login, member, field):
    """parse_heartbeat calls float() on JSON integers; Python's JSON reads 10**400 as an int, and
    float() of it raises OverflowError: POST /api/v1/lessons/<id>/progress → 500.
    Fix: in parse_heartbeat, catch OverflowError around float() and raise the field's RecordsError."""
    login(member)
    body = {"session_id": "abcdefgh12", "seq": 1, "position": 1, "rate": 1, "visible": True, "event": "play"}
    response = client.post("/api/v1/lessons/1/progress", json={**body, field: 10**400})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == field


@pytest.mark.parametrize("body", ['"hours"', "5", '{"hours": 5, "reason": 7}'])
def test_a_records_form_posted_as_json_is_refused_not_a_server_error(
    client, login, coordinator, member, body
):
    login(coordinator)
    for url in (
        f"/records/members/{member.id}/entries",
        "/branchlife/meetings/record?branch=" + str(member.branch_id),
    ):
        response = client.post(url, data=body, content_type="application/json")
        assert response.status_code < 500, url
    assert count(HoursEntry) == 0
