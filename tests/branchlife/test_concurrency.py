"""Two (or ten) finalisations of one meeting at once credit each member present once, on the
configured database; so do many members checking in at the same moment."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from app.accounts import services as accounts
from app.accounts.models import BranchPosition, User
from app.branchlife import services
from app.branchlife.models import Attendance, Meeting
from app.extensions import db
from app.org import services as org
from app.records import services as records
from app.records.models import HoursEntry
from tests.branchlife.conftest import START

pytestmark = pytest.mark.integration


def _at_once(shared_app, n, work):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run(i):
        try:
            with shared_app.app_context():
                barrier.wait(timeout=30)
                results.append(work(i))
                db.session.commit()
        except Exception as exc:  # reported by the caller
            errors.append(repr(exc))
            with shared_app.app_context():
                db.session.rollback()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results, errors


def _branch_with_members(n):
    branch = org.create_branch("并发党支部", "branch", None, None)
    db.session.flush()
    people = []
    for i in range(n):
        people.append(
            accounts.create_user(
                accounts.UserData(
                    employee_no=f"BL{i:03d}", name=f"成员{i}", mobile=f"1380000{i:04d}", branch_id=branch.id
                ),
                ["member"],
                None,
                "Passw0rd-x",
            )
        )
    people[0].position = BranchPosition.SECRETARY
    db.session.commit()
    return branch, people


def test_two_finalisations_at_once_credit_each_member_once(shared_app):
    with time_machine.travel(START, tick=False) as traveller, shared_app.app_context():
        branch, people = _branch_with_members(6)
        secretary = people[0]
        plan = services.MeetingPlan(
            "general_assembly",
            "并发定稿",
            START + timedelta(hours=2),
            START + timedelta(hours=3, minutes=30),
            "礼堂",
        )
        meeting = services.plan_meeting(secretary, branch, plan)
        db.session.commit()
        meeting_id, member_ids, secretary_id = meeting.id, [p.id for p in people[1:]], secretary.id
        traveller.shift(2 * 3600 + 60)
        code = services.checkin_code(secretary, meeting).code
        for member in people[1:]:
            services.check_in(member, meeting, code)
        db.session.commit()
        traveller.shift(90 * 60)
        db.session.remove()

        def finalise(_i):
            actor = db.session.get(User, secretary_id)
            done = services.finalise_meeting(actor, db.session.get(Meeting, meeting_id), "纪要")
            return done.status

        results, errors = _at_once(shared_app, 10, finalise)
        assert errors == []
        assert results == ["finalised"] * 10
        entries = db.session.scalars(
            sa.select(HoursEntry).where(HoursEntry.source_ref == f"meeting:{meeting_id}")
        ).all()
        assert sorted(e.user_id for e in entries) == sorted(member_ids)
        assert {e.hours for e in entries} == {Decimal("2.00")}
        assert db.session.get(Meeting, meeting_id).attendees == 5
        assert list(records.verify_ledger()) == []


def test_many_members_checking_in_at_once_are_each_in_once(shared_app):
    with time_machine.travel(START, tick=False) as traveller, shared_app.app_context():
        branch, people = _branch_with_members(21)
        plan = services.MeetingPlan(
            "theme_day", "并发签到", START + timedelta(hours=1), START + timedelta(hours=2), "广场"
        )
        meeting = services.plan_meeting(people[0], branch, plan)
        db.session.commit()
        meeting_id, ids = meeting.id, [p.id for p in people[1:]]
        traveller.shift(3600)
        code = services.checkin_code(people[0], meeting).code
        db.session.remove()

        def check_in(i):
            member = db.session.get(User, ids[i % len(ids)])
            return services.check_in(member, db.session.get(Meeting, meeting_id), code).state

        results, errors = _at_once(shared_app, 40, check_in)  # each member twice
        assert errors == []
        assert set(results) == {"present"}
        states = db.session.scalars(
            sa.select(Attendance.state).where(
                Attendance.meeting_id == meeting_id, Attendance.user_id.in_(ids)
            )
        ).all()
        assert states == ["present"] * 20
