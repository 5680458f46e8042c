"""Notices (党务公开): scoped to a branch subtree everywhere, read receipts, who has not read."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.portal import services
from app.portal.models import Notice, NoticeRead
from tests.helpers import count
from tests.portal.fixtures import notifications_of


@pytest.fixture
def people(org_tree, create_user):
    return {
        "coordinator": create_user("coordinator", "member", branch=org_tree["a"], name="赵组织"),
        "a1": create_user("member", branch=org_tree["a1"], name="甲一"),
        "a1b": create_user("member", branch=org_tree["a1"], name="甲二"),
        "a2": create_user("member", branch=org_tree["a2"], name="乙一"),
        "b1": create_user("member", branch=org_tree["b1"], name="丙一"),
        "admin": create_user("admin", name="管理员"),
    }


def publish(actor, branch, title="关于开展主题党日活动的通知", receipt=True, kind="notice") -> Notice:
    data = services.NoticeData(
        kind=kind,
        title=title,
        body="请各支部**按时参加**。",
        branch_id=branch.id if branch else None,
        requires_receipt=receipt,
    )
    notice = services.create_notice(data, actor, publish=True)
    db.session.commit()
    return notice


def test_coordinator_publishes_to_one_branch_and_only_it_hears(as_user, people, org_tree):
    response = as_user(people["coordinator"]).post(
        "/notices/new",
        data={
            "kind": "activity",
            "title": "七一主题党日",
            "body": "地点：三楼会议室",
            "branch_id": org_tree["a1"].id,
            "requires_receipt": "y",
            "starts_at": "2026-07-01T09:30",
            "location": "三楼会议室",
            "publish": "1",
        },
    )
    assert response.status_code == 302
    notice = db.session.scalars(sa.select(Notice)).one()
    assert notice.is_published
    assert notice.requires_receipt
    assert notice.starts_at.isoformat() == "2026-07-01T01:30:00+00:00"  # typed in Asia/Shanghai
    assert [n.kind for n in notifications_of(people["a1"])] == ["notice.published"]
    assert len(notifications_of(people["a1b"])) == 1
    for outsider in ("a2", "b1"):
        assert notifications_of(people[outsider]) == [], outsider


def test_a_member_of_another_branch_never_sees_it(as_user, api_as, people, org_tree):
    notice = publish(people["coordinator"], org_tree["a1"], title="仅限机关第一党支部")
    outsider = as_user(people["b1"])
    assert outsider.get(f"/notices/{notice.id}").status_code == 404
    assert "仅限机关第一党支部" not in outsider.get("/notices").get_data(as_text=True)
    assert "仅限机关第一党支部" not in outsider.get("/").get_data(as_text=True)
    assert outsider.post(f"/notices/{notice.id}/receipt").status_code == 404
    assert outsider.get(f"/notices/{notice.id}/readers").status_code == 404
    api = api_as(people["b1"])
    assert api.get(f"/api/v1/notices/{notice.id}").status_code == 404
    assert api.get("/api/v1/notices").get_json()["data"]["notices"] == []
    assert api.post(f"/api/v1/notices/{notice.id}/receipt").status_code == 404

    insider = as_user(people["a1"])
    assert "仅限机关第一党支部" in insider.get("/notices").get_data(as_text=True)
    assert "仅限机关第一党支部" in insider.get("/").get_data(as_text=True)  # latest notices panel
    assert (
        api_as(people["a1"]).get(f"/api/v1/notices/{notice.id}").get_json()["data"]["title"]
        == "仅限机关第一党支部"
    )


def test_a_notice_to_a_general_branch_reaches_its_sub_branches(as_user, people, org_tree):
    notice = publish(people["coordinator"], org_tree["a"], title="总支通知", receipt=False)
    assert as_user(people["a2"]).get(f"/notices/{notice.id}").status_code == 200
    assert as_user(people["b1"]).get(f"/notices/{notice.id}").status_code == 404
    company = publish(people["admin"], None, title="全公司通知", receipt=False)
    assert as_user(people["b1"]).get(f"/notices/{company.id}").status_code == 200


def test_coordinators_publish_only_inside_their_subtree(as_user, people, org_tree):
    client = as_user(people["coordinator"])
    for target in (org_tree["b1"].id, 0):  # another general branch's, and the whole company
        response = client.post(
            "/notices/new",
            data={"kind": "notice", "title": "越权", "body": "正文", "branch_id": target, "publish": "1"},
        )
        assert response.status_code == 422
    with pytest.raises(services.NoticeError, match="只能向自己管理的组织发布"):
        services.create_notice(
            services.NoticeData("notice", "越权", "正文", org_tree["b1"].id),
            people["coordinator"],
            publish=True,
        )
    with pytest.raises(services.NoticeError, match="只有管理员可以向全公司发布"):
        services.create_notice(services.NoticeData("notice", "越权", "正文", None), people["coordinator"])
    assert count(Notice) == 0
    assert as_user(people["a1"]).get("/notices/new").status_code == 403


def test_receipt_is_given_by_the_button_not_by_opening(as_user, people, org_tree):
    notice = publish(people["coordinator"], org_tree["a"])
    member = as_user(people["a1"])
    page = member.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert 'data-testid="confirm-receipt"' in page
    assert "<strong>按时参加</strong>" in page
    assert count(NoticeRead) == 0
    member.post(f"/notices/{notice.id}/receipt")
    member.post(f"/notices/{notice.id}/receipt")  # a double click changes nothing
    assert count(NoticeRead) == 1
    assert 'data-testid="receipt-done"' in member.get(f"/notices/{notice.id}").get_data(as_text=True)


def test_opening_a_notice_without_receipt_marks_it_read(as_user, people, org_tree):
    notice = publish(people["coordinator"], org_tree["a"], receipt=False)
    as_user(people["a2"]).get(f"/notices/{notice.id}")
    as_user(people["coordinator"]).get(f"/notices/{notice.id}")
    assert set(db.session.scalars(sa.select(NoticeRead.user_id))) == {
        people["a2"].id,
        people["coordinator"].id,
    }


def test_coordinator_sees_who_has_not_read(as_user, people, org_tree):
    notice = publish(people["coordinator"], org_tree["a"])
    as_user(people["a1"]).post(f"/notices/{notice.id}/receipt")
    coordinator = as_user(people["coordinator"])
    unread = coordinator.get(f"/notices/{notice.id}/readers").get_data(as_text=True)
    assert "已读 1 / 共 4 人" in unread
    unread_list = unread.split('data-testid="unread-list"', 1)[1]
    assert "甲二" in unread_list
    assert "乙一" in unread_list
    assert "赵组织" in unread_list
    assert "甲一" not in unread_list
    assert "丙一" not in unread_list
    read = coordinator.get(f"/notices/{notice.id}/readers?show=read").get_data(as_text=True)
    assert "甲一" in read.split('data-testid="read-list"', 1)[1]
    summary = services.receipt_summary(notice, services.readers_scope(people["coordinator"], notice))
    assert {(row["name"], row["read"], row["total"]) for row in summary} == {
        ("机关党总支", 0, 1),
        ("机关第一党支部", 1, 2),
        ("机关第二党支部", 0, 1),
    }
    assert as_user(people["a1"]).get(f"/notices/{notice.id}/readers").status_code == 403


def test_a_company_notice_shows_a_coordinator_only_their_subtrees_readers(as_user, people):
    notice = publish(people["admin"], None, title="全公司")
    page = as_user(people["coordinator"]).get(f"/notices/{notice.id}/readers").get_data(as_text=True)
    assert "共 4 人" in page
    assert "丙一" not in page
    assert "共 6 人" in as_user(people["admin"]).get(f"/notices/{notice.id}/readers").get_data(as_text=True)


def test_readers_page_is_a_fixed_number_of_queries(as_user, people, org_tree, create_user, count_queries):
    notice = publish(people["coordinator"], org_tree["a"])
    services.mark_notice_read(notice, people["a1"], confirm=True)
    db.session.commit()
    coordinator = as_user(people["coordinator"])

    def queries(path):
        with count_queries() as statements:
            assert coordinator.get(path).status_code == 200
        return len(statements)

    few = (queries(f"/notices/{notice.id}/readers"), queries(f"/notices/{notice.id}/readers?show=read"))
    for i in range(15):
        reader = create_user("member", branch=org_tree["a2" if i % 2 else "a1"], name=f"读者{i}")
        services.mark_notice_read(notice, reader, confirm=True)
    db.session.commit()
    assert (
        queries(f"/notices/{notice.id}/readers"),
        queries(f"/notices/{notice.id}/readers?show=read"),
    ) == few


def test_withdraw_hides_it_and_delete_asks_first(as_user, people, org_tree):
    notice = publish(people["coordinator"], org_tree["a1"])
    coordinator = as_user(people["coordinator"])
    page = coordinator.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert page.count("data-confirm=") >= 2  # withdraw and delete are confirmed (site.js asks)
    coordinator.post(f"/notices/{notice.id}/withdraw")
    assert as_user(people["a1"]).get(f"/notices/{notice.id}").status_code == 404
    assert as_user(people["a1"]).post(f"/notices/{notice.id}/delete").status_code == 404
    coordinator.post(f"/notices/{notice.id}/delete")
    assert count(Notice) == 0


def test_a_published_notice_cannot_change_its_audience(people, org_tree):
    notice = publish(people["coordinator"], org_tree["a1"])
    with pytest.raises(services.NoticeError, match="不能改变发布范围"):
        services.update_notice(
            notice, services.NoticeData("notice", "改范围", "正文", org_tree["a"].id), people["coordinator"]
        )
