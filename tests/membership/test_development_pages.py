"""The development file's pages, the API, the coordinator's board and the reminders."""

from datetime import date, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.membership.models import DevelopmentReminder
from app.membership.services import development as dev
from app.membership.services.reminders import send_reminders
from app.portal.models import Notification
from tests.membership.conftest import credit, walk


def test_recording_a_step_on_the_page(people, client, login):
    member = people["member"]
    login(people["secretary"])
    url = f"/membership/members/{member.id}/development"
    assert client.get(url).status_code == 200
    response = client.post(
        url + "/steps", data={"key": "application", "done_on": "2026-06-01", "note": "申请书"}
    )
    assert response.status_code == 302
    response = client.post(url + "/steps", data={"key": "talk", "done_on": "2026-05-01"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "一个月内谈话" in page or "须先记录" in page
    assert client.post(url + "/steps", data={"key": "nope", "done_on": "x"}).status_code == 422


def test_the_file_is_closed_to_others(people, client, login):
    member = people["member"]
    login(people["neighbour"])
    assert client.get(f"/membership/members/{member.id}/development").status_code == 403
    assert client.post(f"/membership/members/{member.id}/development/steps", data={}).status_code == 403
    assert client.get("/membership/").status_code == 403


def test_the_api_refuses_naming_the_rule(people, client, login):
    member = people["member"]
    walk(people["secretary"], member, until="candidate")
    login(people["coordinator"])
    url = f"/api/v1/members/{member.id}/development"
    response = client.post(url + "/steps", json={"key": "candidate", "done_on": "2025-01-01", "note": ""})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert [e["rule"] for e in errors] == ["candidate_one_year"]
    assert "2025-02-01" in errors[0]["message"]
    response = client.post(
        url + "/steps", json={"key": "candidate", "done_on": "2025-02-01", "note": "支委会决定"}
    )
    assert response.status_code == 201
    data = client.get(url).get_json()["data"]
    assert data["stage"] == "candidate"
    steps = {s["key"]: s for s in data["steps"]}
    assert steps["candidate"]["done_on"] == "2025-02-01"
    assert set(steps["training"]) >= {"key", "done_on", "due_on", "rule"}
    for bad in ([], {"key": 5, "done_on": "2025-01-01"}, {"key": "training", "done_on": "soon"}):
        assert client.post(url + "/steps", json=bad).status_code == 422


def test_the_api_answers_403_for_another_members_file(people, client, login):
    login(people["neighbour"])
    assert client.get(f"/api/v1/members/{people['member'].id}/development").status_code == 403
    assert client.get("/api/v1/members/999999/development").status_code == 404


def test_the_board_lists_the_pipeline_by_stage_overdue_first(people, client, login, create_user):
    tree = people["tree"]
    late = create_user(branch=tree["a1"], name="逾期者")
    on_time = create_user(branch=tree["a2"], name="按时者")
    elsewhere = create_user(branch=tree["b1"], name="别处者")
    dev.record_step(people["admin"], on_time, "application", date(2026, 6, 10))
    dev.record_step(people["admin"], late, "application", date(2026, 4, 1))
    dev.record_step(people["admin"], elsewhere, "application", date(2026, 4, 1))
    credit(people["member"], 24)
    walk(people["secretary"], people["member"], until="political_review")
    db.session.commit()
    groups = dict(dev.board(dev.pipeline_members_query()))
    login(people["coordinator"])
    page = client.get("/membership/").get_data(as_text=True)
    assert page.index("逾期者") < page.index("按时者")
    assert "别处者" not in page
    assert "张三" in page
    assert [t.member.name for t in groups["applicant"]][:1] == ["别处者"] or groups["applicant"][0].overdue


def test_reminders_before_the_deadline_and_an_alert_after(people, clock):
    member = people["member"]
    dev.record_step(people["secretary"], member, "application", date(2026, 6, 1))  # talk due 2026-07-01
    db.session.commit()
    assert send_reminders() == 0
    clock.advance(timedelta(days=10).total_seconds())  # 2026-06-25: within 7 days
    assert send_reminders() == 1
    assert send_reminders() == 0  # once
    notes = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "membership.reminder")
    ).all()
    assert [n.user_id for n in notes] == [people["secretary"].id]
    clock.advance(timedelta(days=7).total_seconds())  # 2026-07-02: overdue
    assert send_reminders() == 1
    alerts = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "membership.overdue")
    ).all()
    assert {n.user_id for n in alerts} == {people["coordinator"].id}
    assert db.session.scalar(sa.select(sa.func.count(DevelopmentReminder.id))) == 2


def test_the_coordinators_home_shows_overdue_people(people, clock, client, login):
    member = people["member"]
    dev.record_step(people["secretary"], member, "application", date(2026, 4, 1))  # talk overdue
    db.session.commit()
    send_reminders()
    db.session.commit()
    login(people["coordinator"])
    assert "1 名发展对象的步骤已逾期" in client.get("/").get_data(as_text=True)
    dev.record_step(people["admin"], member, "talk", date(2026, 6, 1), override_reason="补录")
    db.session.commit()
    assert "发展对象的步骤已逾期" not in client.get("/").get_data(as_text=True)
    from app.membership.panels import overdue_count

    assert overdue_count(people["other_coordinator"]) == 0
