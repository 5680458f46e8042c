"""The member list: search, category filter, pagination that keeps the filters."""

import re

from app.accounts.models import MemberCategory, User
from app.extensions import db


def names_on(page: str) -> list[str]:
    return re.findall(r'<a href="/users/\d+">([^<]+)</a>', page)


def test_search_by_name_employee_number_or_mobile(client, login_as, org_tree, create_user):
    create_user("member", branch=org_tree["a1"], name="欧阳明", employee_no="S0001", mobile="13355550001")
    create_user("member", branch=org_tree["a1"], name="司马光", employee_no="S0002", mobile="13355550002")
    login_as("coordinator", branch=org_tree["a"])
    assert names_on(client.get("/users?q=欧阳").get_data(as_text=True)) == ["欧阳明"]
    assert names_on(client.get("/users?q=S0002").get_data(as_text=True)) == ["司马光"]
    assert names_on(client.get("/users?q=5550001").get_data(as_text=True)) == ["欧阳明"]
    page = client.get("/users?q=没有这个人").get_data(as_text=True)
    assert "没有符合条件的成员" in page


def test_category_filter(client, login_as, org_tree, create_user):
    probationary = create_user("member", branch=org_tree["a1"], name="预备甲")
    create_user("member", branch=org_tree["a1"], name="正式乙")
    db.session.get(User, probationary.id).category = MemberCategory.PROBATIONARY
    db.session.commit()
    login_as("coordinator", branch=org_tree["a"])
    assert names_on(client.get("/users?category=probationary").get_data(as_text=True)) == ["预备甲"]
    assert client.get("/users?category=nonsense").status_code == 200


def test_pages_keep_the_branch_filter(client, login_as, org_tree, create_user, app):
    for i in range(25):
        create_user("member", branch=org_tree["a1"], name=f"成员{i:02d}")
    create_user("member", branch=org_tree["a2"], name="别的支部")
    login_as("admin")
    first = client.get(f"/users?branch={org_tree['a1'].id}").get_data(as_text=True)
    assert len(names_on(first)) == app.config["ITEMS_PER_PAGE"]
    assert "共 25 条，第 1 / 2 页" in first
    next_link = re.search(r'href="([^"]*page=2[^"]*)"', first).group(1).replace("&amp;", "&")
    assert f"branch={org_tree['a1'].id}" in next_link
    second = client.get(next_link).get_data(as_text=True)
    assert len(names_on(second)) == 5
    assert "别的支部" not in second
    everyone = set(names_on(first)) | set(names_on(second))
    assert everyone == {f"成员{i:02d}" for i in range(25)}
    assert client.get(f"/users?branch={org_tree['a1'].id}&page=99").status_code == 200


def test_list_is_ordered_by_branch_then_employee_number(client, login_as, org_tree, create_user):
    create_user("member", branch=org_tree["a2"], name="乙二", employee_no="Z0002")
    create_user("member", branch=org_tree["a1"], name="甲二", employee_no="Z0004")
    create_user("member", branch=org_tree["a1"], name="甲一", employee_no="Z0003")
    login_as("coordinator", branch=org_tree["a"], employee_no="A0000", name="组织员")
    names = names_on(client.get("/users").get_data(as_text=True))
    assert names == ["组织员", "甲一", "甲二", "乙二"]
