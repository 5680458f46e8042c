"""Assignments (学习任务): scope, enrolment, due dates, derived overdue, idempotent reminders, and
members who arrive in an assigned subtree afterwards."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.accounts import services as account_services
from app.accounts.models import User
from app.core.clock import localtoday, utcnow
from app.core.signals import user_branch_changed, user_created
from app.extensions import db
from courses import assignments
from courses import reminders as remind
from courses.models import AssignmentMember, AssignmentReminder, CourseAssignment, Enrollment
from tests.helpers import config_set, count


@pytest.fixture
def org(create_user, org_tree, trainer, make_course):
    coordinator = create_user("coordinator", "member", branch=org_tree["a"], name="赵组织")
    return {
        "coordinator": coordinator,
        "a1": [create_user(branch=org_tree["a1"], name=f"甲{i}") for i in range(3)],
        "a2": create_user(branch=org_tree["a2"], name="乙"),
        "b1": create_user(branch=org_tree["b1"], name="外支成员"),
        "tree": org_tree,
        "course": make_course(trainer, title="必修：党章党规", is_required=True),
    }


def assign(client, org, **fields):
    data = {
        "title": "第二季度必修",
        "course_ids": [str(org["course"].id)],
        "branch_id": str(org["tree"]["a"].id),
        "start_on": localtoday().isoformat(),
        "due_on": (localtoday() + timedelta(days=10)).isoformat(),
    }
    data.update(fields)
    return client.post("/courses/assignments/new", data=data)


def test_coordinator_assigns_to_their_subtree_and_members_are_enrolled_and_told(
    client, login, org, notifications
):
    login(org["coordinator"])
    response = assign(client, org)
    assert response.status_code == 302
    assignment = db.session.scalars(sa.select(CourseAssignment)).one()
    enrolled = set(
        db.session.scalars(sa.select(Enrollment.user_id).where(Enrollment.course_id == org["course"].id))
    )
    expected = {m.id for m in org["a1"]} | {org["a2"].id, org["coordinator"].id}
    assert enrolled == expected  # the whole 机关党总支 subtree, nobody from 生产党总支
    told = [n for n in notifications if n["kind"] == "course.assigned"]
    assert set(told[0]["user_ids"]) == expected
    assert "必修：党章党规" in told[0]["body"]
    page = client.get(f"/courses/assignments/{assignment.id}").get_data(as_text=True)
    assert "甲0" in page
    assert "外支成员" not in page
    assert "完成 0 / 5 人" in page


def test_coordinator_cannot_assign_outside_their_subtree(client, login, org):
    login(org["coordinator"])
    assert assign(client, org, branch_id=str(org["tree"]["b"].id)).status_code == 403
    assert assign(client, org, branch_id="0", members=org["b1"].employee_no).status_code == 403
    assert count(CourseAssignment) == 0
    assert count(Enrollment) == 0


def test_assign_chosen_members_only(client, login, org):
    login(org["coordinator"])
    response = assign(
        client, org, branch_id="0", members=f"{org['a1'][0].employee_no}\n{org['a2'].employee_no}"
    )
    assert response.status_code == 302
    assert set(db.session.scalars(sa.select(Enrollment.user_id))) == {org["a1"][0].id, org["a2"].id}


def test_members_and_trainers_cannot_manage_assignments(client, login, org, trainer):
    login(org["a1"][0])
    assert client.get("/courses/assignments").status_code == 403
    assert assign(client, org).status_code == 403
    client.post("/logout")
    login(trainer)
    assert client.get("/courses/assignments/new").status_code == 403


def test_bad_dates_and_unpublished_courses_are_refused(client, login, org, trainer, make_course):
    login(org["coordinator"])
    response = assign(client, org, due_on=(localtoday() - timedelta(days=1)).isoformat())
    assert response.status_code == 422
    assert "截止日期" in response.get_data(as_text=True)
    draft = make_course(trainer, title="草稿", publish=False)
    response = assign(client, org, course_ids=[str(draft.id)])
    assert response.status_code == 422
    assert count(CourseAssignment) == 0


def assign_now(org, *, due_in=5, branch="a1", member_ids=(), title="党章学习"):
    """An assignment the coordinator makes through the service today, due in ``due_in`` days, to
    ``branch``'s subtree (a key of the org tree) or, with ``branch=None``, to ``member_ids``."""
    assignment = assignments.create_assignment(
        assignments.AssignmentData(
            title=title,
            course_ids=[org["course"].id],
            start_on=localtoday(),
            due_on=localtoday() + timedelta(days=due_in),
            branch_id=org["tree"][branch].id if branch else None,
            member_ids=list(member_ids),
        ),
        org["coordinator"],
    )
    db.session.commit()
    return assignment


def make_assignment(org, due_days_ago: int):
    """An assignment made earlier, whose due date passed ``due_days_ago`` days ago."""
    with time_machine.travel(utcnow() - timedelta(days=due_days_ago + 1), tick=True):
        return assign_now(org, due_in=1)


def test_overdue_is_derived_and_shown_to_the_member(client, login, org):
    overdue = make_assignment(org, due_days_ago=2)
    assert overdue.due_on < localtoday()
    login(org["a1"][0])
    page = client.get("/courses/my?tab=assigned").get_data(as_text=True)
    assert 'data-testid="overdue"' in page
    assert "已逾期" in page
    items = assignments.assigned_courses(org["a1"][0].id)
    assert items[0].is_overdue
    # completing the course clears it, with nothing stored about "overdue"
    db.session.execute(
        sa.update(Enrollment).where(Enrollment.user_id == org["a1"][0].id).values(completed_at=utcnow())
    )
    db.session.commit()
    assert not assignments.assigned_courses(org["a1"][0].id)[0].is_overdue
    summary = assignments.summaries([overdue])[0]
    assert (summary.members, summary.completed, summary.is_overdue) == (3, 1, True)


def test_reminders_before_and_after_the_due_date_are_sent_once(app, org, notifications):
    assignment = assign_now(org, due_in=3)
    done = org["a1"][2]
    db.session.execute(
        sa.update(Enrollment).where(Enrollment.user_id == done.id).values(completed_at=utcnow())
    )
    db.session.commit()
    notifications.clear()
    with config_set(app, COURSES_REMIND_DAYS_BEFORE="3,1", COURSES_REMIND_DAYS_AFTER="1"):
        first = remind.send_due_reminders()
        again = remind.send_due_reminders()  # the hourly beat runs again the same day
        db.session.commit()
        reminders = [n for n in notifications if n["kind"] == "course.reminder"]
        assert first["reminded"] == 2
        assert again["reminded"] == 0
        assert len(reminders) == 1
        assert set(reminders[0]["user_ids"]) == {org["a1"][0].id, org["a1"][1].id}  # not the one who finished
        assert "3 天" in reminders[0]["title"]

        assert remind.send_due_reminders(localtoday() + timedelta(days=1))["reminded"] == 0  # 2 days: no rule
        assert remind.send_due_reminders(localtoday() + timedelta(days=2))["reminded"] == 2  # 1 day before
        overdue = remind.send_due_reminders(localtoday() + timedelta(days=4))  # 1 day after
        assert overdue["reminded"] == 2
        assert "已逾期" in notifications[-1]["title"]
        assert remind.send_due_reminders(localtoday() + timedelta(days=4))["reminded"] == 0
    assert count(AssignmentReminder, AssignmentReminder.assignment_id == assignment.id) == 6


def test_the_reminder_task_runs(app, org):
    from courses.tasks import send_due_reminders_task

    assert send_due_reminders_task.apply().get() == {"assignments": 0, "reminded": 0}


# --- members who arrive after the assignment ----------------------------------------------------------


def move(user, branch, actor):
    """Move ``user`` to ``branch`` the way an admin's edit does (accounts sends the signal)."""
    data = account_services.UserData(
        employee_no=user.employee_no, name=user.name, mobile=user.mobile, branch_id=branch.id
    )
    account_services.update_user(user, data, None, actor)
    db.session.commit()


def members_of(assignment) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(AssignmentMember.user_id).where(AssignmentMember.assignment_id == assignment.id)
        )
    )


def test_a_member_created_into_the_subtree_later_is_assigned_enrolled_told_and_counted(
    client, login, create_user, org, notifications
):
    login(org["coordinator"])
    assign(client, org)
    assignment = db.session.scalars(sa.select(CourseAssignment)).one()
    notifications.clear()

    newcomer = create_user(branch=org["tree"]["a1"], name="新来的")

    assert newcomer.id in members_of(assignment)
    assert [n["user_ids"] for n in notifications if n["kind"] == "course.assigned"] == [[newcomer.id]]
    page = client.get(f"/courses/assignments/{assignment.id}").get_data(as_text=True)
    assert "完成 0 / 6 人" in page  # five at assignment time, and the newcomer
    assert "新来的" in page
    client.post("/logout")
    login(newcomer)
    mine = client.get("/courses/my?tab=assigned").get_data(as_text=True)
    assert "第二季度必修" in mine
    assert "必修：党章党规" in mine
    enrollment = db.session.scalars(sa.select(Enrollment).where(Enrollment.user_id == newcomer.id)).one()
    assert (enrollment.course_id, enrollment.source) == (org["course"].id, "assignment")


def test_a_member_moved_in_is_added_and_one_moved_out_keeps_the_assignment(create_user, org):
    admin = create_user("admin")
    assignment = assign_now(org)
    arriving, leaving = org["b1"], org["a1"][0]
    assert arriving.id not in members_of(assignment)

    move(arriving, org["tree"]["a1"], admin)
    move(leaving, org["tree"]["b2"], admin)

    assert {arriving.id, leaving.id} <= members_of(assignment)
    assert [a.assignment.title for a in assignments.assigned_courses(arriving.id)] == ["党章学习"]
    assert [a.assignment.title for a in assignments.assigned_courses(leaving.id)] == ["党章学习"]
    assert assignments.summaries([assignment])[0].members == 4


def test_a_closed_assignment_picks_up_no_newcomers(create_user, org):
    closed = make_assignment(org, due_days_ago=1)
    newcomer = create_user(branch=org["tree"]["a1"])
    assert newcomer.id not in members_of(closed)
    assert assignments.assigned_courses(newcomer.id) == []
    assert count(Enrollment, Enrollment.user_id == newcomer.id) == 0


def test_an_assignment_due_today_is_still_open(create_user, org):
    assignment = assign_now(org, due_in=0, branch="a")
    newcomer = create_user(branch=org["tree"]["a2"])
    assert newcomer.id in members_of(assignment)


def test_an_assignment_to_chosen_members_picks_up_nobody(create_user, org):
    chosen = assign_now(org, branch=None, member_ids=[org["a1"][0].id])
    newcomer = create_user(branch=org["tree"]["a1"])
    assert members_of(chosen) == {org["a1"][0].id}
    assert count(Enrollment, Enrollment.user_id == newcomer.id) == 0


def test_a_repeated_signal_adds_nothing_twice(create_user, org, notifications):
    assignment = assign_now(org)
    newcomer = create_user(branch=org["tree"]["a1"])
    notifications.clear()

    user_created.send(newcomer, actor=None)
    user_branch_changed.send(newcomer, actor=None, old_branch_id=org["tree"]["b1"].id)
    db.session.commit()

    assert count(AssignmentMember, AssignmentMember.user_id == newcomer.id) == 1
    assert count(Enrollment, Enrollment.user_id == newcomer.id) == 1
    assert [n for n in notifications if n["kind"] == "course.assigned"] == []
    assert assignments.summaries([assignment])[0].members == 4


def test_a_bulk_import_adds_its_new_and_moved_members_to_open_assignments(tmp_path, org, notifications):
    from tests.accounts.test_import import HEADER, row, run_import, write_xlsx

    assignment = assign_now(org, branch="a")
    already, elsewhere = org["a1"][0], org["b1"]
    notifications.clear()
    a2, b2 = "公司党委/机关党总支/机关第二党支部", "公司党委/生产党总支/设备检修党支部"
    report = run_import(
        write_xlsx(
            tmp_path / "members.xlsx",
            [
                HEADER,
                row(1, a2),  # new, inside the assigned 党总支
                row(2, b2),  # new, outside it
                row(3, a2, 工号=elsewhere.employee_no, 手机号=elsewhere.mobile),  # moved in
                row(4, a2, 工号=already.employee_no, 手机号=already.mobile),  # moved within: no change
            ],
        ),
        None,  # as `flask users import` runs it
    )
    assert report.ok, report.errors or report.message
    new_inside = db.session.scalar(sa.select(User.id).where(User.employee_no == "IMP0001"))
    new_outside = db.session.scalar(sa.select(User.id).where(User.employee_no == "IMP0002"))
    members = members_of(assignment)
    assert {new_inside, elsewhere.id, already.id} <= members
    assert new_outside not in members
    enrolled = set(
        db.session.scalars(sa.select(Enrollment.user_id).where(Enrollment.course_id == org["course"].id))
    )
    assert {new_inside, elsewhere.id} <= enrolled
    told = [n["user_ids"] for n in notifications if n["kind"] == "course.assigned"]
    assert told == [sorted([new_inside, elsewhere.id])]  # once, and not the member already there
