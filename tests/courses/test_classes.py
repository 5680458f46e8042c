"""Flipped classes: pre-class lessons owed, check-in codes (wrong, expired, accepted), a trainer's
补签, homework."""

import io
from datetime import timedelta

import pytest
import segno
import sqlalchemy as sa
import time_machine

from app.core.clock import utcnow
from app.core.models import AuditEntry
from app.extensions import db
from app.records.models import HoursEntry
from courses import classes, services
from courses.models import Attendance, AttendanceStatus, HomeworkSubmission
from tests.helpers import config_set, count


@pytest.fixture
def flipped(trainer, member, make_course):
    course = make_course(
        trainer, title="翻转课堂：基层党建", kind="flipped", lessons=[("video", 60), ("article", 120)]
    )
    now = utcnow()
    session = classes.create_session(
        course,
        classes.SessionData(
            title="第一次研讨",
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(minutes=95),  # a 100-minute class credits its 90 minutes
            place="党校 201 教室",
            credit_minutes=90,
            homework_prompt="结合工作谈谈体会。",
            homework_due_at=now + timedelta(days=7),
            pre_lesson_ids=[lesson.id for lesson in course.lessons()],
        ),
        trainer,
    )
    services.enrol(course, member)
    db.session.commit()
    return {"course": course, "session": session}


def test_a_member_with_unfinished_pre_class_lessons_is_told_what_remains(client, login, member, flipped):
    login(member)
    page = client.get(f"/courses/classes/{flipped['session'].id}").get_data(as_text=True)
    assert "上课前还需完成以下 2 个课时" in page
    for lesson in flipped["course"].lessons():
        assert lesson.title in page
    course_page = client.get(f"/courses/{flipped['course'].id}").get_data(as_text=True)
    assert "课前还需完成 2 个课时" in course_page


def test_check_in_wrong_expired_and_accepted(client, login, trainer, member, flipped):
    session = flipped["session"]
    login(trainer)
    client.post(f"/courses/classes/{session.id}/checkin/open", data={"minutes": "10"})
    db.session.expire_all()
    code = db.session.get(type(session), session.id).checkin_code
    assert code
    assert len(code) == 6
    trainer_page = client.get(f"/courses/classes/{session.id}").get_data(as_text=True)
    assert code in trainer_page
    qr = client.get(f"/courses/classes/{session.id}/qr.svg")
    assert qr.status_code == 200
    assert qr.mimetype == "image/svg+xml"
    client.post("/logout")

    login(member)
    wrong = "000000" if code != "000000" else "111111"
    page = client.post(f"/courses/classes/{session.id}/checkin", data={"code": wrong}, follow_redirects=True)
    assert "签到码错误" in page.get_data(as_text=True)
    assert count(Attendance) == 0

    with time_machine.travel(utcnow() + timedelta(minutes=11), tick=True):
        page = client.post(
            f"/courses/classes/{session.id}/checkin", data={"code": code}, follow_redirects=True
        )
    assert "签到码已过期" in page.get_data(as_text=True)
    assert count(Attendance) == 0


def test_accepted_check_in_shows_as_attendance_and_credits_hours_once(
    client, login, trainer, member, flipped
):
    session = flipped["session"]
    classes.open_checkin(session, trainer, 10)
    db.session.commit()
    login(member)
    page = client.post(
        f"/courses/classes/{session.id}/checkin", data={"code": session.checkin_code}, follow_redirects=True
    ).get_data(as_text=True)
    assert "签到成功（按时签到）" in page
    assert 'data-testid="attendance"' in page
    again = client.post(
        f"/courses/classes/{session.id}/checkin", data={"code": session.checkin_code}, follow_redirects=True
    )
    assert "您已签到" in again.get_data(as_text=True)
    assert count(Attendance) == 1
    entries = db.session.scalars(sa.select(HoursEntry).where(HoursEntry.user_id == member.id)).all()
    assert [(e.source_kind, e.source_ref, str(e.hours)) for e in entries] == [
        ("class_attendance", f"class_session:{session.id}", "2.00")  # 90 minutes at 45 per 学时
    ]
    client.post("/logout")
    login(trainer)
    roster = client.get(f"/courses/classes/{session.id}").get_data(as_text=True)
    assert "按时签到" in roster
    assert member.name in roster


def test_late_check_in_and_derived_absence(trainer, member, create_user, flipped):
    session = flipped["session"]
    absent = create_user(name="缺席者")
    services.enrol(flipped["course"], absent)
    session.starts_at = utcnow() - timedelta(minutes=30)
    classes.open_checkin(session, trainer, 10)
    attendance = classes.check_in(session, member, session.checkin_code)
    assert attendance.status == AttendanceStatus.LATE
    assert {row.user.id: row.label for row in classes.roster(session)}[absent.id] == "未签到"
    with time_machine.travel(session.ends_at + timedelta(minutes=1), tick=True):
        assert {row.user.id: row.label for row in classes.roster(session)}[absent.id] == "缺席"


def test_not_enrolled_cannot_check_in(trainer, create_user, flipped):
    session = flipped["session"]
    classes.open_checkin(session, trainer, 10)
    with pytest.raises(services.CourseError, match="尚未加入"):
        classes.check_in(session, create_user(), session.checkin_code)


def test_homework_submit_limits_and_review(client, login, app, trainer, member, flipped, notifications):
    session = flipped["session"]
    login(member)
    url = f"/courses/classes/{session.id}/homework"
    refused = client.post(
        url, data={"text": "体会", "file": (io.BytesIO(b"MZ\x90"), "virus.exe")}, follow_redirects=True
    )
    assert "不支持的文件类型" in refused.get_data(as_text=True)
    app.config["COURSES_HOMEWORK_MAX_BYTES"], before = 10, app.config["COURSES_HOMEWORK_MAX_BYTES"]
    try:
        too_big = client.post(url, data={"file": (io.BytesIO(b"x" * 11), "note.txt")}, follow_redirects=True)
    finally:
        app.config["COURSES_HOMEWORK_MAX_BYTES"] = before
    assert "超过大小上限" in too_big.get_data(as_text=True)
    assert count(HomeworkSubmission) == 0

    client.post(url, data={"text": "我的学习体会", "file": (io.BytesIO(b"hello"), "note.txt")})
    submission = db.session.scalars(sa.select(HomeworkSubmission)).one()
    assert submission.file_name == "note.txt"
    assert client.get(f"/courses/homework/{submission.id}/file").data == b"hello"
    client.post("/logout")

    login(trainer)
    client.post(
        f"/courses/homework/{submission.id}/review", data={"score": "92", "comment": "联系实际，很好"}
    )
    db.session.expire_all()
    submission = db.session.get(HomeworkSubmission, submission.id)
    assert (submission.score, submission.comment) == (92, "联系实际，很好")
    assert any(
        n["kind"] == "course.homework_reviewed" and n["user_ids"] == [member.id] for n in notifications
    )
    client.post("/logout")

    login(member)
    page = client.get(f"/courses/classes/{session.id}").get_data(as_text=True)
    assert "得分：92" in page
    late = client.post(url, data={"text": "改一改"}, follow_redirects=True)
    assert "已批阅" in late.get_data(as_text=True)


def test_another_member_cannot_read_my_homework_file(client, login, member, create_user, flipped):
    stored = classes.files.StoredFile("courses/homework/none.txt", "note.txt", 5)
    submission, _ = classes.submit_homework(flipped["session"], member, "体会", stored)
    db.session.commit()
    other = create_user()
    services.enrol(flipped["course"], other)
    db.session.commit()
    login(other)
    assert client.get(f"/courses/homework/{submission.id}/file").status_code == 403


def test_members_cannot_open_check_in(client, login, member, flipped):
    login(member)
    assert client.post(f"/courses/classes/{flipped['session'].id}/checkin/open").status_code == 403
    assert client.get(f"/courses/classes/{flipped['session'].id}/qr.svg").status_code == 403


# --- 补签: a trainer marks a member present ---------------------------------------------------------


def manual_url(session, user_id):
    return f"/courses/classes/{session.id}/attendance/{user_id}"


def class_hours(member):
    return db.session.scalars(
        sa.select(HoursEntry).where(
            HoursEntry.user_id == member.id, HoursEntry.source_kind == "class_attendance"
        )
    ).all()


def test_a_trainer_marks_an_absent_member_present_with_a_reason_once(client, login, trainer, member, flipped):
    session = flipped["session"]
    login(trainer)
    roster = client.get(f"/courses/classes/{session.id}").get_data(as_text=True)
    assert manual_url(session, member.id) in roster  # the absent member's row offers 补签
    confirm = client.get(manual_url(session, member.id))
    assert confirm.status_code == 200
    assert member.name in confirm.get_data(as_text=True)
    assert "确认补签" in confirm.get_data(as_text=True)

    no_reason = client.post(manual_url(session, member.id), data={"reason": "  "})
    assert no_reason.status_code == 422
    assert "请填写补签原因" in no_reason.get_data(as_text=True)
    assert count(Attendance) == 0

    done = client.post(
        manual_url(session, member.id), data={"reason": "手机没电，现场点名确认到课"}, follow_redirects=True
    )
    page = done.get_data(as_text=True)
    assert "已为 李学员 补签" in page
    assert f'data-testid="attendance-{member.id}">补签<' in page
    assert "原因：手机没电，现场点名确认到课" in page
    assert trainer.name in page  # who recorded it
    attendance = db.session.scalars(sa.select(Attendance)).one()
    assert (attendance.status, attendance.method, attendance.recorded_by_id) == (
        AttendanceStatus.MANUAL,
        "manual",
        trainer.id,
    )
    entries = class_hours(member)
    assert [(e.source_ref, str(e.hours), e.recorded_by_id) for e in entries] == [
        (f"class_session:{session.id}", "2.00", trainer.id)  # the same credit a check-in earns
    ]
    audit = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "course.checkin.manual")
    ).one()
    assert audit.actor_id == trainer.id
    assert audit.details == {"session": session.id, "user": member.id, "reason": "手机没电，现场点名确认到课"}

    again = client.post(manual_url(session, member.id), data={"reason": "再点一次"})
    assert again.status_code == 409
    assert "已经补签，无需补签" in again.get_data(as_text=True)
    assert count(Attendance) == 1
    assert len(class_hours(member)) == 1
    client.post("/logout")

    login(member)
    own = client.get(f"/courses/classes/{session.id}").get_data(as_text=True)
    assert "已签到：补签" in own
    classes.open_checkin(session, trainer, 10)
    db.session.commit()
    code = client.post(
        f"/courses/classes/{session.id}/checkin", data={"code": session.checkin_code}, follow_redirects=True
    )
    assert "您已签到" in code.get_data(as_text=True)
    assert len(class_hours(member)) == 1


def test_marking_a_member_who_checked_in_changes_nothing_and_says_so(client, login, trainer, member, flipped):
    session = flipped["session"]
    classes.open_checkin(session, trainer, 10)
    classes.check_in(session, member, session.checkin_code)
    db.session.commit()
    login(trainer)
    roster = client.get(f"/courses/classes/{session.id}").get_data(as_text=True)
    assert manual_url(session, member.id) not in roster
    response = client.post(manual_url(session, member.id), data={"reason": "补一下"})
    assert response.status_code == 409
    assert "已经按时签到，无需补签，出勤记录未作更改" in response.get_data(as_text=True)
    attendance = db.session.scalars(sa.select(Attendance)).one()
    assert (attendance.status, attendance.method, attendance.reason) == (
        AttendanceStatus.ON_TIME,
        "code",
        None,
    )
    assert len(class_hours(member)) == 1


def test_only_a_trainer_of_the_course_may_mark_a_member_present(
    client, login, trainer, member, create_user, make_course, flipped
):
    session = flipped["session"]
    other_trainer = create_user("trainer", name="别的讲师")
    make_course(other_trainer, title="别的课程")
    coordinator = create_user("coordinator", "member", name="组织员")
    co_teaching = create_user("coordinator", "trainer", name="兼任讲师的组织员")
    services.add_co_trainer(flipped["course"], co_teaching, trainer)
    db.session.commit()

    for outsider in (member, other_trainer, coordinator):
        login(outsider)
        assert client.get(manual_url(session, member.id)).status_code == 403
        refused = client.post(manual_url(session, member.id), data={"reason": "代为补签"})
        assert refused.status_code == 403
        client.post("/logout")
    assert count(Attendance) == 0
    assert class_hours(member) == []

    login(co_teaching)
    done = client.post(manual_url(session, member.id), data={"reason": "现场确认到课"})
    assert done.status_code == 302
    assert db.session.scalars(sa.select(Attendance)).one().recorded_by_id == co_teaching.id


def test_an_unknown_or_unenrolled_member_or_a_class_not_started_is_refused(
    client, login, trainer, member, create_user, flipped
):
    session = flipped["session"]
    stranger = create_user(name="未选课的人")
    login(trainer)
    unknown = client.post(manual_url(session, 999_999), data={"reason": "补签"})
    assert unknown.status_code == 404
    assert "该学员不存在" in unknown.get_data(as_text=True)
    for method in (client.get, client.post):
        outside = method(manual_url(session, stranger.id), data={"reason": "补签"})
        assert outside.status_code == 422
        assert "未加入本课程，不能补签" in outside.get_data(as_text=True)
    assert count(Attendance) == 0

    session.starts_at = utcnow() + timedelta(hours=1)
    session.ends_at = utcnow() + timedelta(hours=2)
    db.session.commit()
    roster = client.get(f"/courses/classes/{session.id}").get_data(as_text=True)
    assert manual_url(session, member.id) not in roster
    early = client.post(manual_url(session, member.id), data={"reason": "提前补签"})
    assert early.status_code == 422
    assert "课堂尚未开始" in early.get_data(as_text=True)
    assert count(Attendance) == 0
    assert class_hours(member) == []


def test_review_a_class_credits_no_more_minutes_than_it_lasts(trainer, flipped):
    now = utcnow()
    data = classes.SessionData(
        title="一刻钟",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, minutes=15),
        place="党校",
        credit_minutes=1440,
    )
    with pytest.raises(services.CourseError, match="不能超过课堂时长"):
        classes.create_session(flipped["course"], data, trainer)


def test_review_a_co_trainer_earns_no_hours_from_the_class_they_teach(
    client, login, trainer, create_user, flipped
):
    co = create_user("trainer", "member")
    services.enrol(flipped["course"], co)  # enrolled first, a co-trainer afterwards
    flipped["course"].co_trainers.append(co)
    classes.open_checkin(flipped["session"], trainer, 30)
    db.session.commit()
    with pytest.raises(services.CourseError) as refused:
        classes.check_in(flipped["session"], co, flipped["session"].checkin_code)
    assert refused.value.status == 403
    with pytest.raises(services.CourseError):
        classes.record_manual_checkin(flipped["session"], co, "忘带手机", trainer)
    with pytest.raises(services.CourseError):
        classes.record_manual_checkin(flipped["session"], trainer, "自己补签", trainer)
    assert count(HoursEntry, HoursEntry.user_id.in_([co.id, trainer.id])) == 0


def test_the_check_in_qr_code_leads_to_the_site_url(app, client, login, trainer, flipped):
    session = flipped["session"]
    login(trainer)
    client.post(f"/courses/classes/{session.id}/checkin/open", data={"minutes": "10"})
    db.session.expire_all()
    code = db.session.get(type(session), session.id).checkin_code
    with config_set(app, SITE_URL="https://dangxiao.example.cn/"):
        qr = client.get(f"/courses/classes/{session.id}/qr.svg")
    expected = io.BytesIO()
    link = f"https://dangxiao.example.cn/courses/classes/{session.id}?code={code}"
    segno.make(link, error="m").save(expected, kind="svg", scale=6, border=2)
    assert qr.data == expected.getvalue()  # the same picture: the code a phone scans holds that link
