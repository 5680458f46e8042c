"""组织关系转接: both sides approve, the branch changes only then, history keeps past years right."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import Forbidden

from app.accounts.models import BranchPosition
from app.core.clock import localtoday
from app.core.models import AuditEntry
from app.extensions import db
from app.membership.models import TransferStatus
from app.membership.services import transfers
from app.records import reports
from app.records.services import hours_by_year
from tests.membership.conftest import credit


@pytest.fixture
def receiving_secretary(create_user, people):
    secretary = create_user(branch=people["tree"]["b1"], name="书记乙")
    secretary.position = BranchPosition.SECRETARY
    db.session.commit()
    return secretary


def test_both_approvals_are_needed_and_the_branch_changes_only_then(people, receiving_secretary):
    member, tree = people["member"], people["tree"]
    credit(member, 12)
    transfer = transfers.request_transfer(member, member, tree["b1"], "工作调动")
    db.session.commit()
    transfers.approve_transfer(people["secretary"], transfer)  # the sending side
    db.session.commit()
    assert transfer.status == TransferStatus.PENDING
    assert member.branch_id == tree["a1"].id
    with pytest.raises(transfers.TransferError):  # the same side cannot approve twice
        transfers.approve_transfer(people["secretary"], transfer)
    transfers.approve_transfer(receiving_secretary, transfer)
    db.session.commit()
    assert transfer.status == TransferStatus.APPROVED
    assert member.branch_id == tree["b1"].id
    assert dict(hours_by_year(member.id))  # the ledger travelled untouched
    actions = set(
        db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("transfer.%")))
    )
    assert actions == {"transfer.request", "transfer.approve_sender", "transfer.approve_receiver"}


def test_a_receiving_secretary_who_starts_it_has_approved_their_side(people, receiving_secretary):
    member, tree = people["member"], people["tree"]
    transfer = transfers.request_transfer(receiving_secretary, member, tree["b1"], "工作调动")
    assert transfer.receiver_approved_at is not None
    assert transfer.sender_approved_at is None
    transfers.approve_transfer(people["coordinator"], transfer)
    assert member.branch_id == tree["b1"].id


def test_a_rejection_says_why_and_one_pending_at_a_time(people):
    member, tree = people["member"], people["tree"]
    transfer = transfers.request_transfer(member, member, tree["b1"], "工作调动")
    with pytest.raises(transfers.TransferError) as excinfo:
        transfers.request_transfer(member, member, tree["b2"], "又调动")
    assert excinfo.value.status == 409
    with pytest.raises(transfers.TransferError):
        transfers.reject_transfer(people["secretary"], transfer, "  ")
    transfers.reject_transfer(people["secretary"], transfer, "手续不全")
    assert transfer.status == TransferStatus.REJECTED
    assert transfer.reject_reason == "手续不全"
    assert member.branch_id == tree["a1"].id
    with pytest.raises(transfers.TransferError):
        transfers.approve_transfer(people["coordinator"], transfer)


def _rollup(user, year: int) -> dict[str, tuple[int, Decimal]]:
    """records' yearly report, per branch name: (members, hours)."""
    today = localtoday()
    return {row.branch.name: (row.members, row.hours) for row in reports.branch_rollup(user, year, today)}


def test_a_past_years_roll_up_still_counts_the_member_in_the_old_branch(people, clock, receiving_secretary):
    member, tree, admin = people["member"], people["tree"], people["admin"]
    credit(member, 10, day=date(2025, 5, 1), ref="2025")
    credit(member, 3, day=date(2026, 3, 1), ref="2026")
    before = _rollup(admin, 2025)
    transfer = transfers.request_transfer(receiving_secretary, member, tree["b1"], "工作调动")
    transfers.approve_transfer(people["secretary"], transfer)
    db.session.commit()
    clock.advance(timedelta(days=1).total_seconds())

    # 2025, the report itself: the member and their hours are still in 机关第一党支部 and its 党总支.
    after = _rollup(admin, 2025)
    assert after == before
    assert after["机关第一党支部"][1] == Decimal(10)
    assert after["生产运行党支部"] == (1, Decimal(0))  # only the receiving secretary
    assert after["公司党委"] == before["公司党委"]  # counted once, not twice
    # The coordinator of the old 党总支 still sees them in last year's report, the new one does not.
    assert _rollup(people["coordinator"], 2025)["机关第一党支部"][1] == Decimal(10)
    assert _rollup(people["other_coordinator"], 2025)["生产运行党支部"] == (1, Decimal(0))
    # This year counts them where they are now.
    now = _rollup(admin, 2026)
    assert now["生产运行党支部"] == (2, Decimal(3))
    assert now["机关第一党支部"][1] == Decimal(0)
    # The member list of a past year agrees with the roll-up.
    listed = db.session.execute(reports.members_query(admin, 2025, localtoday(), branch=tree["a1"])).all()
    assert member.id in {row.id for row in listed}

    # membership's own answer agrees, for a member who never moved too.
    last_year = date(2025, 12, 31)
    assert member.id in transfers.members_on(tree["a1"], last_year)
    assert member.id not in transfers.members_on(tree["b1"], last_year)
    assert member.id in transfers.members_on(tree["b1"], date(2026, 6, 16))
    assert member.id not in transfers.members_on(tree["a"], date(2026, 6, 16))
    assert people["neighbour"].id in transfers.members_on(tree["a1"], last_year)  # never moved


def test_a_coordinator_of_a_third_subtree_sees_nothing(people, client, login, create_user, create_branch):
    tree = people["tree"]
    third = create_branch("第三党委")
    outsider = create_user("coordinator", branch=third, name="外人")
    transfer = transfers.request_transfer(people["member"], people["member"], tree["b1"], "工作调动")
    db.session.commit()
    with pytest.raises(Forbidden):
        transfers.load_transfer(transfer.id, outsider)
    with pytest.raises(Forbidden):
        transfers.approve_transfer(outsider, transfer)
    login(outsider)
    assert client.get(f"/api/v1/transfers/{transfer.id}").status_code == 403
    assert client.post(f"/api/v1/transfers/{transfer.id}/approve").status_code == 403
    assert client.post(f"/membership/transfers/{transfer.id}/approve").status_code == 403
    assert "张三" not in client.get("/membership/transfers").get_data(as_text=True)


def test_the_pending_transfer_shows_on_both_sides(people, client, switch_to, receiving_secretary):
    transfer = transfers.request_transfer(
        people["member"], people["member"], people["tree"]["b1"], "工作调动"
    )
    db.session.commit()
    for who in (people["secretary"], receiving_secretary, people["member"]):
        switch_to(who)
        assert f"transfer-{transfer.id}" in client.get("/membership/transfers").get_data(as_text=True)


def test_transfers_over_the_api(people, client, login, switch_to, receiving_secretary):
    member, tree = people["member"], people["tree"]
    login(people["secretary"])
    response = client.post(
        "/api/v1/transfers", json={"member_id": member.id, "to_branch_id": tree["b1"].id, "reason": "调动"}
    )
    assert response.status_code == 201
    transfer_id = response.get_json()["data"]["id"]
    assert client.post(f"/api/v1/transfers/{transfer_id}/approve").get_json()["data"]["sender_approved"]
    switch_to(receiving_secretary)
    data = client.post(f"/api/v1/transfers/{transfer_id}/approve").get_json()["data"]
    assert data["status"] == "approved"
    for bad in ({}, {"member_id": member.id, "to_branch_id": "x", "reason": "a"}, []):
        assert client.post("/api/v1/transfers", json=bad).status_code in (403, 404, 422)
    assert client.post(f"/api/v1/transfers/{transfer_id}/reject", json={"reason": "晚了"}).status_code == 409


def test_a_member_cannot_move_someone_else(people):
    with pytest.raises(Forbidden):
        transfers.request_transfer(people["neighbour"], people["member"], people["tree"]["a2"], "调动")
