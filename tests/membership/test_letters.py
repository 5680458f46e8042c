"""Transfers to and from outside: the numbered 介绍信 (printable), its 回执, incoming letters."""

from datetime import date

import pytest
from werkzeug.exceptions import Forbidden

from app.extensions import db
from app.membership.services import letters, transfers


def test_an_outgoing_letter_is_numbered_printable_and_the_receipt_moves_the_member_out(people, client, login):
    member, secretary = people["member"], people["secretary"]
    letter = letters.issue_letter(secretary, member, "某市某区机关工委", "工作调离本单位")
    db.session.commit()
    assert letter.letter_no == f"2026-{letter.id:05d}"
    assert member.branch_id == people["tree"]["a1"].id  # still here until the 回执 arrives
    with pytest.raises(transfers.TransferError):
        letters.issue_letter(secretary, member, "别处", "又调离")
    login(secretary)
    page = client.get(f"/membership/letters/{letter.id}").get_data(as_text=True)
    assert "中国共产党党员组织关系介绍信" in page
    assert letter.letter_no in page
    assert "某市某区机关工委" in page
    response = client.post(f"/membership/letters/{letter.id}/receipt", data={"received_on": "2026-06-20"})
    assert response.status_code == 302  # refused (a future date): flashed on the letter page
    assert letter.receipt_on is None
    client.post(
        f"/membership/letters/{letter.id}/receipt", data={"received_on": "2026-06-15", "note": "已收"}
    )
    db.session.refresh(member)
    assert member.branch_id is None
    assert member.id in transfers.members_on(people["tree"]["a1"], date(2026, 6, 14))
    assert member.id not in transfers.members_on(people["tree"]["a1"], date(2026, 6, 15))


def test_an_incoming_letter_places_the_member_at_once(people, create_user):
    newcomer = create_user(name="新来者")
    letter = letters.accept_incoming(
        people["secretary"], newcomer, people["tree"]["a1"], "外省某党委", "WX-88", "调入"
    )
    assert newcomer.branch_id == people["tree"]["a1"].id
    assert letter.receipt_on == date(2026, 6, 15)
    with pytest.raises(transfers.TransferError):  # the same letter twice
        letters.accept_incoming(
            people["secretary"], create_user(), people["tree"]["a1"], "外省某党委", "WX-88", "调入"
        )
    with pytest.raises(transfers.TransferError):  # already in one of our branches
        letters.accept_incoming(
            people["secretary"], people["neighbour"], people["tree"]["a1"], "x", "WX-89", "调入"
        )


def test_letters_are_closed_to_others(people, client, login):
    letter = letters.issue_letter(people["secretary"], people["member"], "某单位", "调离")
    db.session.commit()
    with pytest.raises(Forbidden):
        letters.issue_letter(people["neighbour"], people["member"], "某单位", "调离")
    with pytest.raises(Forbidden):
        letters.record_receipt(people["other_coordinator"], letter, date(2026, 6, 15))
    login(people["other_coordinator"])
    assert client.get(f"/membership/letters/{letter.id}").status_code == 403
    assert "某单位" not in client.get("/membership/transfers").get_data(as_text=True)


def test_incoming_on_the_transfers_page(people, client, login, create_user):
    newcomer = create_user(name="新来者")
    login(people["secretary"])
    page = client.get("/membership/transfers").get_data(as_text=True)
    assert "登记系统外转入" in page
    data = {
        "employee_no": newcomer.employee_no,
        "to_branch_id": people["tree"]["a1"].id,
        "outside_org": "外省某党委",
        "letter_no": "WX-1",
        "reason": "调入",
    }
    response = client.post("/membership/letters/incoming", data=data)
    assert response.status_code == 302
    assert "/membership/letters/" in response.headers["Location"]
    db.session.refresh(newcomer)
    assert newcomer.branch_id == people["tree"]["a1"].id
    data["to_branch_id"] = people["tree"]["b1"].id  # not theirs to accept into
    assert client.post("/membership/letters/incoming", data=data).status_code == 302
