"""The coordinator's dashboard rolls assigned-course completion up the tree, from the courses' tables."""

from datetime import timedelta

import sqlalchemy as sa

from app.core.clock import localtoday, utcnow
from app.extensions import db
from app.records import reports
from courses.assignments import AssignmentData, create_assignment
from courses.models import CourseAssignment, Enrollment


def test_assigned_course_completion_and_overdue_roll_up(client, login, create_user, org_tree, make_course):
    trainer = create_user("trainer", branch=org_tree["a1"])
    coordinator = create_user("coordinator", "member", branch=org_tree["a"])
    done = create_user(branch=org_tree["a1"])
    create_user(branch=org_tree["a2"])  # assigned, never finishes: overdue once the due date passes
    outsider = create_user(branch=org_tree["b1"])
    course = make_course(trainer, title="党章党规")
    today = localtoday()
    assignment = create_assignment(
        AssignmentData(
            "年度必修", [course.id], today, today + timedelta(days=30), branch_id=org_tree["a"].id
        ),
        coordinator,
    )
    db.session.execute(
        sa.update(Enrollment)
        .where(Enrollment.user_id == done.id, Enrollment.course_id == course.id)
        .values(completed_at=utcnow())
    )
    db.session.execute(
        sa.update(CourseAssignment)
        .where(CourseAssignment.id == assignment.id)
        .values(due_on=today - timedelta(days=1))
    )
    db.session.commit()

    rows = reports.branch_rollup(coordinator, today.year, today)
    per_branch, per_course = reports.assignment_completion(coordinator, today, [r.branch for r in rows])
    by_name = {r.branch.name: per_branch[r.branch.id] for r in rows}
    assigned = {"a1": by_name["机关第一党支部"], "a2": by_name["机关第二党支部"], "a": by_name["机关党总支"]}
    assert assigned["a1"].completed == 1
    assert assigned["a2"].overdue == 1
    assert (assigned["a1"].pairs, assigned["a1"].overdue) == (2, 1)  # the trainer is late, not `done`
    assert assigned["a"].overdue == 3  # the 党总支: the trainer, a2's member and the coordinator
    assert assigned["a"].pairs == assigned["a1"].pairs + assigned["a2"].pairs + 1  # the coordinator too
    assert [(title, c.pairs, c.completed, c.overdue) for title, _cid, c in per_course] == [
        ("党章党规", 4, 1, 3)
    ]
    outsider_pairs = sa.select(sa.func.count()).where(Enrollment.user_id == outsider.id)
    assert db.session.scalar(outsider_pairs) == 0  # another 党总支: never assigned, never counted

    login(coordinator)
    page = client.get("/records/dashboard").get_data(as_text=True)
    assert "党章党规" in page
    assert "生产运行党支部" not in page


def test_completion_certificate_only_for_a_completed_course(
    client, login, create_user, org_tree, make_course
):
    trainer = create_user("trainer", branch=org_tree["a1"])
    member, other = create_user(branch=org_tree["a1"], name="王学员"), create_user(branch=org_tree["a1"])
    course = make_course(trainer, title="党史学习教育")
    for person in (member, other):
        db.session.add(Enrollment(course_id=course.id, user_id=person.id, source="self"))
    db.session.flush()
    db.session.execute(
        sa.update(Enrollment)
        .where(Enrollment.user_id == member.id, Enrollment.course_id == course.id)
        .values(completed_at=utcnow())
    )
    db.session.commit()

    login(member)
    record = client.get("/records/me").get_data(as_text=True)
    assert "党史学习教育" in record
    certificate = client.get(f"/records/certificates/{course.id}").get_data(as_text=True)
    assert "结业证书" in certificate
    assert "王学员" in certificate
    assert "党史学习教育" in certificate

    client.post("/logout")
    login(other)
    assert client.get(f"/records/certificates/{course.id}").status_code == 404
