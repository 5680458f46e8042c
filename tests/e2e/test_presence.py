"""The presence check (防挂机) in a real browser on a phone: the player pauses credit, shows the
image, refuses wrong digits with new ones, and goes on once the person types what they see."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.accounts import services as account_services
from app.accounts.models import User
from app.extensions import db
from app.org.services import create_branch
from app.records.models import PresenceChallenge
from courses import services
from tests.e2e.test_courses import PASSWORD, SHOTS, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def people(live_server):
    with live_server.app.app_context():
        root = create_branch("确认测试党委", "committee", None, actor=None)
        branch = create_branch("确认测试支部", "branch", root, actor=None)
        for no, name, roles in (
            ("P2E001", "郑讲师", ["trainer", "member"]),
            ("P2E002", "冯学员", ["member"]),
        ):
            data = account_services.UserData(employee_no=no, name=name, branch_id=branch.id)
            account_services.create_user(data, roles, actor=None, password=PASSWORD)
        db.session.commit()
    return {"trainer": "P2E001", "member": "P2E002"}


def open_code(app, member_no) -> tuple[str, str]:
    with app.app_context():
        row = db.session.execute(
            sa.select(PresenceChallenge.public_id, PresenceChallenge.code)
            .join(User, User.id == PresenceChallenge.user_id)
            .where(User.employee_no == member_no, PresenceChallenge.outcome.is_(None))
        ).one()
        db.session.remove()
        return row[0], row[1]


def test_finding2_a_person_answers_the_presence_check_on_a_phone(live_server, people, phone, monkeypatch):
    app = live_server.app
    monkeypatch.setitem(app.config, "PRESENCE_CHECK_MIN_MINUTES", 0)  # ask at once
    monkeypatch.setitem(app.config, "PRESENCE_CHECK_MAX_MINUTES", 0)
    with app.app_context():
        trainer = db.session.scalars(sa.select(User).where(User.employee_no == people["trainer"])).one()
        course = services.create_course(services.CourseData(title="学习确认课", credit_hours="0.5"), trainer)
        chapter = services.add_chapter(course, "阅读", trainer)
        body = "\n\n".join(f"第{i}段：学习党章党规，做合格党员。" for i in range(40))
        lesson = services.create_lesson(
            chapter, services.LessonData("党章学习", "article", body=body), trainer
        )
        services.publish_course(course, trainer)
        db.session.commit()
        lesson_id = lesson.id
        db.session.remove()

    log_in(phone, live_server, people["member"])
    phone.goto(f"{live_server}/courses/lessons/{lesson_id}")
    form = phone.get_by_test_id("presence-check")
    expect(form).to_be_visible(timeout=10_000)
    phone.wait_for_function(
        "() => document.getElementById('presence-image').naturalWidth === 168", timeout=10_000
    )
    first_id, code = open_code(app, people["member"])
    wrong = "0000" if code != "0000" else "1111"
    phone.get_by_test_id("presence-code").fill(wrong)
    phone.get_by_test_id("presence-submit").click()
    expect(phone.get_by_test_id("presence-message")).to_contain_text("不正确")
    phone.wait_for_function(
        f"() => !document.getElementById('presence-image').src.includes('{first_id}')", timeout=10_000
    )
    phone.screenshot(path=str(SHOTS / "presence-375.png"), full_page=False)
    second_id, code = open_code(app, people["member"])
    assert second_id != first_id
    phone.get_by_test_id("presence-code").fill(code)
    phone.get_by_test_id("presence-submit").click()
    expect(form).to_be_hidden(timeout=10_000)
    with app.app_context():
        outcomes = db.session.scalars(
            sa.select(PresenceChallenge.outcome)
            .order_by(PresenceChallenge.id)
            .join(User, User.id == PresenceChallenge.user_id)
            .where(User.employee_no == people["member"])
        ).all()
        db.session.remove()
    assert outcomes == ["wrong", "passed"]
