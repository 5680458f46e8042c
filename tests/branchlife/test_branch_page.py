"""网络支部: the branch's members see its page; members of other branches get 403."""

from datetime import date

from app.branchlife.branch_page import party_age
from app.extensions import db
from tests.branchlife.test_flow import plan


def test_the_branch_page_shows_meetings_members_and_progress(client, login, people, org_tree, clock):
    people["x"].joined_party_on = date(2000, 7, 1)
    db.session.commit()
    plan(client, login, people, org_tree, clock)
    login(people["x"])
    page = client.get(f"/branchlife/branches/{org_tree['a1'].id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "学习党章" in text  # the upcoming meeting
    assert "<td>书记</td>" in text  # members with their position
    assert "25 年" in text  # Party age on 2 March 2026
    client.post("/logout")
    for who in ("other_member", "other_coordinator"):
        login(people[who])
        assert client.get(f"/branchlife/branches/{org_tree['a1'].id}").status_code == 403
        client.post("/logout")
    login(people["coordinator"])
    assert client.get(f"/branchlife/branches/{org_tree['a1'].id}").status_code == 200
    assert client.get("/branchlife/branches/999999").status_code == 404


def test_party_age_counts_whole_years():
    assert party_age(date(2000, 3, 3), date(2026, 3, 2)) == 25
    assert party_age(date(2000, 3, 2), date(2026, 3, 2)) == 26
    assert party_age(None, date(2026, 3, 2)) is None
