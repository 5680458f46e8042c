"""困难帮扶 cases: a member of the same branch, a trainer and a coordinator of another subtree get
403 on every page, API answer and document of a case; no search finds a case; every view leaves
an audit entry. Filing, review, assistance, follow-up reminders and the nameless summary."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.care import services
from app.care.models import HardshipCase
from app.core.models import AuditEntry
from app.extensions import db
from app.portal.models import Notification

PDF = b"%PDF-1.4\n% hardship proof\n"


@pytest.fixture
def people(org_tree, create_user):
    a1 = org_tree["a1"]
    secretary = create_user("member", branch=a1, name="王书记")
    secretary.position = "secretary"
    officer = create_user("member", branch=org_tree["root"], name="帮扶专员")
    admin = create_user("admin", name="管理员")
    services.designate_officer(admin, officer, org_tree["root"])
    db.session.commit()
    return {
        "member": create_user("member", branch=a1, name="困难党员"),
        "colleague": create_user("member", branch=a1, name="同支部党员"),
        "trainer": create_user("trainer", "member", branch=a1, name="讲师"),
        "other_coordinator": create_user("coordinator", "member", branch=org_tree["b"], name="外组织员"),
        "secretary": secretary,
        "officer": officer,
        "admin": admin,
    }


@pytest.fixture
def case(people):
    data = services.CaseData("illness", "母亲重病住院需要帮扶", "母亲突发脑梗住院，医疗费用较高。", "20000")
    filed = services.file_case(people["secretary"], people["member"], data)
    services.add_document(people["secretary"], filed, io.BytesIO(PDF), "诊断证明.pdf")
    services.decide_case(people["secretary"], filed, "approve", "情况属实", date(2026, 6, 10))
    services.add_assistance(people["officer"], filed, "cash", date.today(), "3000", "第一次补助")
    db.session.commit()
    return filed


def views_of(case: HardshipCase) -> dict[str, tuple[str, str, dict | None]]:
    document = case.documents[0]
    return {
        "page": ("get", f"/care/{case.id}", None),
        "document": ("get", f"/care/{case.id}/documents/{document.id}", None),
        "api": ("get", f"/api/v1/care/cases/{case.id}", None),
        "decide": ("post", f"/care/{case.id}/decide", {"decision": "close"}),
        "assistance": ("post", f"/care/{case.id}/assistance", {"kind": "visit", "given_on": "2026-01-02"}),
        "upload": ("post", f"/care/{case.id}/documents", {"file": (io.BytesIO(PDF), "x.pdf")}),
    }


@pytest.mark.parametrize("who", ["colleague", "trainer", "other_coordinator"])
def test_those_not_designated_get_403_everywhere(as_user, people, case, who):
    client = as_user(people[who])
    for name, (method, path, data) in views_of(case).items():
        response = getattr(client, method)(path, data=data)
        assert response.status_code == 403, (who, name)
    assert case.title not in client.get("/care/").get_data(as_text=True)
    found = client.get("/api/v1/search?q=母亲重病住院").get_json()
    assert case.title not in str(found)
    assert case.title not in client.get("/search?q=母亲重病住院").get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                AuditEntry.actor_id == people[who].id, AuditEntry.action.like("care.view%")
            )
        )
        == 0
    )


@pytest.mark.parametrize("who", ["member", "secretary", "officer", "admin"])
def test_the_designated_see_the_case_and_every_view_is_audited(as_user, people, case, who):
    client = as_user(people[who])

    def views():
        return db.session.scalar(
            sa.select(sa.func.count()).where(
                AuditEntry.actor_id == people[who].id,
                AuditEntry.action.like("care.view%"),
                AuditEntry.target_id == case.id,
            )
        )

    before = views()
    assert client.get(f"/care/{case.id}").status_code == 200
    assert views() == before + 1
    document = client.get(f"/care/{case.id}/documents/{case.documents[0].id}")
    assert document.status_code == 200
    assert document.data == PDF
    assert views() == before + 2
    api = client.get(f"/api/v1/care/cases/{case.id}")
    assert api.status_code == 200
    assert api.get_json()["data"]["assistance"][0]["amount"] == "3000.00"
    assert views() == before + 3
    assert case.title in client.get("/care/").get_data(as_text=True)
    assert views() == before + 4


def test_a_member_files_for_themself_and_handlers_are_told(client, login, people):
    login(people["member"])
    response = client.post(
        "/care/new",
        data={
            "kind": "disaster",
            "title": "家中房屋受灾",
            "description": "暴雨致房屋漏水",
            "amount_needed": "5000",
        },
    )
    assert response.status_code == 302
    filed = db.session.scalars(sa.select(HardshipCase)).one()
    assert filed.member_id == people["member"].id
    told = set(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "care.filed")))
    assert told == {people["secretary"].id, people["officer"].id}
    refused = client.post(
        "/care/new",
        data={
            "member_no": people["colleague"].employee_no,
            "kind": "other",
            "title": "x",
            "description": "y",
        },
    )
    assert refused.status_code == 403  # a member cannot file for someone else


def test_follow_up_reminders_go_once_per_date(people, case):
    day_before = datetime(2026, 6, 9, 1, 0, tzinfo=UTC)
    assert services.remind_follow_ups(day_before) == 0
    on_the_day = datetime(2026, 6, 10, 1, 0, tzinfo=UTC)
    assert services.remind_follow_ups(on_the_day) == 2  # the secretary and the officer
    assert services.remind_follow_ups(on_the_day + timedelta(hours=5)) == 0
    assert services.remind_follow_ups(on_the_day + timedelta(days=3)) == 0


def test_the_yearly_summary_names_nobody(as_user, people, case):
    client = as_user(people["other_coordinator"])
    page = client.get(f"/care/summary?year={case.created_at.year}").get_data(as_text=True)
    assert "重病" in page
    assert "3000.00" in page
    assert people["member"].name not in page
    assert case.title not in page
    assert as_user(people["colleague"]).get("/care/summary").status_code == 403
