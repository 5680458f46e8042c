"""Finding 9: a six-digit check-in code could be tried 57 times a second. Wrong codes are limited per
member and class session; past the limit even the right code waits for the window to pass."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.accounts import services as accounts
from app.core.clock import utcnow
from app.extensions import db
from app.records.models import HoursEntry
from courses import classes, services
from courses.models import Attendance, CheckinFailure, ClassSession
from tests.courses.test_classes import flipped  # noqa: F401 -- a fixture
from tests.helpers import count


def open_checkin(session: ClassSession, trainer) -> str:
    classes.open_checkin(session, trainer, 30)
    db.session.commit()
    return session.checkin_code


def wrong_codes(code: str, n: int) -> list[str]:
    return [f"{(int(code) + i) % 10**6:06d}" for i in range(1, n + 1)]


def test_finding9_checkin_codes_cannot_be_guessed_past_the_limit(
    app,
    client,
    login,
    trainer,
    member,
    flipped,  # noqa: F811 -- the fixture
):
    session = flipped["session"]
    code = open_checkin(session, trainer)
    login(member)
    url = f"/courses/classes/{session.id}/checkin"
    limit = app.config["COURSES_CHECKIN_MAX_FAILURES"]
    assert limit == 5
    for guess in wrong_codes(code, limit):
        response = client.post(url, data={"code": guess}, follow_redirects=True)
        assert "签到码错误，请核对" in response.get_data(as_text=True)
    for guess in [*wrong_codes(code, 3), code]:  # the right code too, once the limit is reached
        response = client.post(url, data={"code": guess})
        assert response.status_code == 429
        assert "签到码错误次数过多，请于" in response.get_data(as_text=True)
        assert 0 < int(response.headers["Retry-After"]) <= 600
    assert count(Attendance) == 0
    assert count(HoursEntry) == 0
    assert count(CheckinFailure) == limit  # refused attempts are not even compared

    with time_machine.travel(utcnow() + timedelta(minutes=10, seconds=1), tick=True):
        response = client.post(url, data={"code": code}, follow_redirects=True)
    assert "签到成功" in response.get_data(as_text=True)
    assert count(Attendance) == 1


def test_finding9_the_limit_is_per_member_and_session(
    client,
    login,
    trainer,
    member,
    create_user,
    flipped,  # noqa: F811 -- the fixture
):
    session = flipped["session"]
    code = open_checkin(session, trainer)
    neighbour = create_user("member", name="同桌")
    services.enrol(flipped["course"], neighbour)
    db.session.commit()
    login(member)
    for guess in wrong_codes(code, 5):
        client.post(f"/courses/classes/{session.id}/checkin", data={"code": guess})
    assert client.post(f"/courses/classes/{session.id}/checkin", data={"code": code}).status_code == 429
    client.post("/logout")
    login(neighbour)  # someone else's guesses do not lock an honest member out
    response = client.post(
        f"/courses/classes/{session.id}/checkin", data={"code": code}, follow_redirects=True
    )
    assert "签到成功" in response.get_data(as_text=True)


def test_finding9_an_honest_typo_or_two_still_checks_in(
    client,
    login,
    trainer,
    member,
    flipped,  # noqa: F811 -- the fixture
):
    session = flipped["session"]
    code = open_checkin(session, trainer)
    login(member)
    for guess in wrong_codes(code, 2):
        client.post(f"/courses/classes/{session.id}/checkin", data={"code": guess})
    response = client.post(
        f"/courses/classes/{session.id}/checkin", data={"code": code}, follow_redirects=True
    )
    assert "签到成功" in response.get_data(as_text=True)


@pytest.mark.integration
def test_finding9_thirty_wrong_codes_at_once_get_five_tries_and_the_rest_wait(shared_app):
    with shared_app.app_context():

        def user(no, mobile, *roles):
            data = accounts.UserData(employee_no=no, name=no, mobile=mobile)
            return accounts.create_user(data, list(roles), None, "Passw0rd-x")

        trainer = user("T0001", "13900000001", "trainer", "member")
        member = user("M0001", "13900000002", "member")
        course = services.create_course(services.CourseData(title="翻转课堂", kind="flipped"), trainer)
        chapter = services.add_chapter(course, "一", trainer)
        services.create_lesson(chapter, services.LessonData("读", "article", body="正文"), trainer)
        services.publish_course(course, trainer)
        services.enrol(course, member)
        now = utcnow()
        session = classes.create_session(
            course,
            classes.SessionData("研讨", now - timedelta(minutes=5), now + timedelta(minutes=95), place="201"),
            trainer,
        )
        code = open_checkin(session, trainer)
        session_id, member_id = session.id, member.id
        db.session.remove()

    guesses = wrong_codes(code, 30)
    barrier = threading.Barrier(len(guesses))
    outcomes, errors = [], []

    def guess(value: str) -> None:
        try:
            with shared_app.app_context():
                barrier.wait(timeout=30)  # all thirty at once
                who = db.session.get(type(member), member_id)
                try:
                    classes.check_in(db.session.get(ClassSession, session_id), who, value)
                except classes.CheckinLocked:
                    db.session.rollback()
                    outcomes.append("locked")
                except classes.WrongCheckinCode:
                    db.session.commit()
                    outcomes.append("wrong")
                else:
                    db.session.commit()
                    outcomes.append("in")
        except Exception as exc:  # reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=guess, args=(g,)) for g in guesses]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sorted(outcomes) == ["locked"] * 25 + ["wrong"] * 5
    with shared_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckinFailure)) == 5
        with pytest.raises(classes.CheckinLocked):  # and the right code waits too
            classes.check_in(
                db.session.get(ClassSession, session_id), db.session.get(type(member), member_id), code
            )
        db.session.rollback()
