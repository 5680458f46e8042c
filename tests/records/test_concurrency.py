"""Fifty identical heartbeats at once credit exactly once, on the configured database."""

import threading
import time
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from app.accounts import services as accounts
from app.extensions import db
from app.quiz.models import PointsEntry
from app.records import services
from app.records.models import HoursEntry, LessonProgress, PlaybackSession
from tests.records.conftest import START

pytestmark = pytest.mark.integration


def test_fifty_identical_heartbeats_at_once_credit_exactly_once(shared_app):
    facts = services.LessonFacts(
        1, 1, "video", 60.0, 0.95, Decimal("1.25"), Decimal("1.25"), None, "三会一课"
    )
    policy = services.AccountingPolicy.from_config(shared_app.config)
    with time_machine.travel(START, tick=False) as traveller, shared_app.app_context():
        member = accounts.create_user(
            accounts.UserData(employee_no="C50", name="并发", mobile="13955550000"),
            ["member"],
            None,
            "Passw0rd-x",
        )
        db.session.commit()
        user_id = member.id
        beat = services.Heartbeat("tab-concurrent", 0, 0.0, 1.0, True, "play")
        services.record_heartbeat(member, facts, beat, policy)
        db.session.commit()
        for seq in range(1, 4):  # 45 s watched
            traveller.shift(15)
            services.record_heartbeat(
                member,
                facts,
                services.Heartbeat("tab-concurrent", seq, 15.0 * seq, 1.0, True, "tick"),
                policy,
            )
            db.session.commit()
        db.session.remove()
        traveller.shift(15)

        the_beat = services.Heartbeat("tab-concurrent", 4, 60.0, 1.0, True, "tick")  # completes the lesson
        barrier = threading.Barrier(50)
        results, errors = [], []

        def send():
            try:
                with shared_app.app_context():
                    barrier.wait(timeout=30)  # before touching the database: all fifty go at once
                    user = db.session.get(type(member), user_id)
                    state = services.record_heartbeat(user, facts, the_beat, policy)
                    db.session.commit()
                    results.append(state)
            except Exception as exc:  # reported below: any error fails the test
                errors.append(repr(exc))

        threads = [threading.Thread(target=send) for _ in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)

        assert errors == []
        assert len(results) == 50
        assert all(r.completed and r.credited_hours == 1.25 for r in results)
        entries = db.session.scalars(sa.select(HoursEntry).where(HoursEntry.user_id == user_id)).all()
        assert [e.hours for e in entries] == [Decimal("1.25")]
        progress = db.session.scalars(sa.select(LessonProgress)).one()
        assert progress.covered_seconds == pytest.approx(60)
        assert list(services.verify_ledger()) == []


def _at_once(shared_app, n, work):
    """Run ``work()`` in ``n`` threads released together; return (results, errors)."""
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        try:
            with shared_app.app_context():
                barrier.wait(timeout=30)
                results.append(work())
                db.session.commit()
        except Exception as exc:  # collected: expected refusals are checked by the caller
            errors.append(exc)
            with shared_app.app_context():
                db.session.rollback()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results, errors


def test_finding1_forty_ticks_at_once_credit_no_more_than_the_wall_clock_allows(shared_app):
    facts = services.LessonFacts(2, 1, "video", 600.0, 0.95, Decimal("1"), Decimal("1"), None, "并发刷课")
    policy = services.AccountingPolicy.from_config(shared_app.config)
    with time_machine.travel(START, tick=False) as traveller, shared_app.app_context():
        member = accounts.create_user(
            accounts.UserData(employee_no="C51", name="刷课", mobile="13955550001"),
            ["member"],
            None,
            "Passw0rd-x",
        )
        db.session.commit()
        user_id = member.id
        services.record_heartbeat(
            member, facts, services.Heartbeat("tab-farm-at-once", 0, 0.0, 2.0, True, "play"), policy
        )
        db.session.commit()
        db.session.remove()
        traveller.shift(1)
        seqs = iter(range(1, 41))
        lock = threading.Lock()

        def tick():
            with lock:
                seq = next(seqs)
            user = db.session.get(type(member), user_id)
            beat = services.Heartbeat("tab-farm-at-once", seq, 3.0 * seq, 2.0, True, "tick")
            return services.record_heartbeat(user, facts, beat, policy)

        _results, errors = _at_once(shared_app, 40, tick)
        assert errors == []
        progress = db.session.scalars(
            sa.select(LessonProgress).where(LessonProgress.user_id == user_id)
        ).one()
        # One second of wall time at 2x, plus at most as much again: never the 120 s claimed.
        assert progress.covered_seconds <= 2 * policy.max_rate + 0.01


def test_finding7_ten_approvals_at_once_credit_once(shared_app):
    from app.org.services import create_branch
    from app.records import manual
    from app.records.models import ManualHoursRequest

    with shared_app.app_context():
        branch = create_branch("并发复核支部", "branch", None, actor=None)
        people = [
            accounts.create_user(
                accounts.UserData(
                    employee_no=f"CA{i}", name=f"复核{i}", mobile=f"1395556000{i}", branch_id=branch.id
                ),
                roles,
                None,
                "Passw0rd-x",
            )
            for i, roles in enumerate((["member"], ["coordinator", "member"], ["coordinator", "member"]))
        ]
        db.session.commit()
        member_id, requester, approver_id = people[0].id, people[1], people[2].id
        held = manual.request_manual_hours(people[0], Decimal("12"), "补录", requester)
        db.session.commit()
        request_id = held.id
        db.session.remove()

        def approve():
            approver = db.session.get(type(requester), approver_id)
            return manual.approve_manual_request(manual.get_request_for(request_id, approver), approver)

        results, errors = _at_once(shared_app, 10, approve)
        assert len(results) == 1
        assert all(isinstance(e, services.RecordsError) and e.status == 409 for e in errors)
        entries = db.session.scalars(sa.select(HoursEntry).where(HoursEntry.user_id == member_id)).all()
        assert [e.hours for e in entries] == [Decimal("12.00")]
        assert db.session.get(ManualHoursRequest, request_id).status == "approved"


def test_review_sessions_started_at_once_leave_one_live(shared_app):
    """Two first heartbeats at once (two tabs, two lessons) each superseded the older sessions but
    not each other: both stayed live and earned credit side by side."""
    policy = services.AccountingPolicy.from_config(shared_app.config)
    with time_machine.travel(START, tick=False), shared_app.app_context():
        member = accounts.create_user(
            accounts.UserData(employee_no="C52", name="双开", mobile="13955550002"),
            ["member"],
            None,
            "Passw0rd-x",
        )
        db.session.commit()
        user_id = member.id
        db.session.remove()
        for round_no in range(5):
            keys = iter([(f"tab-r{round_no}-a-0001", 11), (f"tab-r{round_no}-b-0002", 12)])
            lock = threading.Lock()

            def start(keys=keys, lock=lock):
                with lock:
                    key, lesson_id = next(keys)
                facts = services.LessonFacts(
                    lesson_id, 1, "video", 600.0, 0.95, Decimal("1"), Decimal("1"), None, "双开"
                )
                user = db.session.get(type(member), user_id)
                return services.record_heartbeat(
                    user, facts, services.Heartbeat(key, 0, 0.0, 1.0, True, "play"), policy
                )

            _results, errors = _at_once(shared_app, 2, start)
            assert errors == []
            live = db.session.scalar(
                sa.select(sa.func.count()).where(
                    PlaybackSession.user_id == user_id, PlaybackSession.superseded_at.is_(None)
                )
            )
            assert live == 1, f"round {round_no}: {live} live sessions"
            db.session.remove()


def test_ten_requests_for_one_proof_at_once_issue_one_serial(shared_app):
    """Two exports of one branch on two workers (or a member's double click) each looked for the
    member's live 学时证明, found none, and issued one: two serials for one set of facts."""
    from app.records import certificates
    from app.records.models import Certificate

    with shared_app.app_context():
        member = accounts.create_user(
            accounts.UserData(employee_no="C53", name="证明", mobile="13955550003"),
            ["member"],
            None,
            "Passw0rd-x",
        )
        services.append_entry(
            member,
            hours=Decimal("3.5"),
            source_kind="manual",
            source_ref="manual:c53",
            actor=None,
            reason="补录",
            occurred_at=START,
        )
        db.session.commit()
        user_id, year = member.id, START.year
        db.session.remove()

        def issue():
            return certificates.issue_annual_proof(db.session.get(type(member), user_id), year).serial

        results, errors = _at_once(shared_app, 10, issue)
        assert errors == []
        assert len(results) == 10
        assert len(set(results)) == 1  # every asker got the one serial
        live = db.session.scalars(
            sa.select(Certificate.serial).where(
                Certificate.user_id == user_id, Certificate.revoked_at.is_(None)
            )
        ).all()
        assert live == results[:1]


def test_a_member_held_for_one_write_and_a_points_award_never_deadlock(shared_app):
    """A reading heartbeat held the member's row FOR UPDATE and then awarded the reading point (it
    waits for the member's points head); an award elsewhere held that head and inserted its entry,
    whose foreign key check waits for the member's row: PostgreSQL found the circle and aborted one
    of them (a 500). The hold no longer blocks rows that only point at the member."""
    from app.accounts.models import User
    from app.quiz import points, points_chain

    if not shared_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("row locks: PostgreSQL only (SQLite holds one writer for the whole file)")
    with shared_app.app_context():
        member = accounts.create_user(
            accounts.UserData(employee_no="C54", name="并发积分", mobile="13955550004"),
            ["member"],
            None,
            "Passw0rd-x",
        )
        points.award_points(member, "login", "login:first", 1)  # the member's points head exists
        db.session.commit()
        user_id = member.id
        db.session.remove()
    holding, head_taken = threading.Event(), threading.Event()
    errors: list[str] = []

    def reader():  # holds the member, then wants the points head
        try:
            with shared_app.app_context():
                User.hold(user_id)
                holding.set()
                assert head_taken.wait(10)
                time.sleep(0.3)  # the award is now inserting its entry
                points_chain.locked_head(user_id)
                db.session.commit()
        except Exception as exc:  # reported below
            errors.append(repr(exc))
            holding.set()

    def awarder():  # holds the points head, then inserts a row pointing at the member
        try:
            with shared_app.app_context():
                assert holding.wait(10)
                points_chain.locked_head(user_id)
                head_taken.set()
                points.award_points(user_id, "article", "kb:deadlock", 1)
                db.session.commit()
        except Exception as exc:  # reported below
            errors.append(repr(exc))
            head_taken.set()

    threads = [threading.Thread(target=reader), threading.Thread(target=awarder)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with shared_app.app_context():
        awarded = db.session.scalars(sa.select(PointsEntry.ref).where(PointsEntry.user_id == user_id)).all()
        assert sorted(awarded) == ["kb:deadlock", "login:first"]
