"""Many hands at once: one pending transfer per member, one record per step, one branch change."""

import threading
from datetime import date

import sqlalchemy as sa

from app.accounts import services as accounts
from app.accounts.models import User
from app.core.errors import DomainError
from app.extensions import db
from app.membership.models import BranchStint, DevelopmentStep, Transfer, TransferStatus
from app.membership.services import development as dev
from app.membership.services import transfers
from app.org.models import Branch
from app.org.services import create_branch


def _at_once(shared_app, n, work):
    barrier = threading.Barrier(n)
    results, refusals, errors = [], [], []

    def run():
        try:
            with shared_app.app_context():
                barrier.wait(timeout=30)
                try:
                    results.append(work())
                    db.session.commit()
                except DomainError as exc:
                    db.session.rollback()
                    refusals.append(exc.status)
        except Exception as exc:  # any other error fails the test
            errors.append(repr(exc))

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results, refusals, errors


def _setup(shared_app):
    with shared_app.app_context():
        root = create_branch("并发党委", "committee", None, actor=None)
        a = create_branch("并发一支部", "branch", root, actor=None)
        b = create_branch("并发二支部", "branch", root, actor=None)
        admin = accounts.create_user(
            accounts.UserData(employee_no="CA1", name="管理"), ["admin"], None, "Passw0rd-x"
        )
        member = accounts.create_user(
            accounts.UserData(employee_no="CM1", name="并发者", branch_id=a.id),
            ["member"],
            None,
            "Passw0rd-x",
        )
        db.session.commit()
        ids = {"admin": admin.id, "member": member.id, "b": b.id}
        db.session.remove()
        return ids


def test_twenty_transfer_requests_and_approvals_at_once(shared_app):
    ids = _setup(shared_app)

    def request():
        admin, member = db.session.get(User, ids["admin"]), db.session.get(User, ids["member"])
        return transfers.request_transfer(admin, member, db.session.get(Branch, ids["b"]), "调动").id

    results, refusals, errors = _at_once(shared_app, 20, request)
    assert errors == []
    assert len(results) == 1
    assert set(refusals) == {409}

    def approve():
        admin = db.session.get(User, ids["admin"])
        return transfers.approve_transfer(admin, db.session.get(Transfer, results[0])).status

    approved, refusals, errors = _at_once(shared_app, 20, approve)
    assert errors == []
    assert len(approved) == 1
    assert set(refusals) == {409}
    with shared_app.app_context():
        assert db.session.scalar(sa.select(Transfer.status)) == TransferStatus.APPROVED
        assert db.session.scalar(sa.select(sa.func.count(BranchStint.id))) == 2
        db.session.remove()


def test_one_step_recorded_twenty_times_at_once(shared_app):
    ids = _setup(shared_app)

    def record():
        admin, member = db.session.get(User, ids["admin"]), db.session.get(User, ids["member"])
        return dev.record_step(admin, member, "application", date(2026, 1, 5)).id

    results, refusals, errors = _at_once(shared_app, 20, record)
    assert errors == []
    assert len(results) == 1
    assert set(refusals) == {422}
    with shared_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(DevelopmentStep.id))) == 1
        db.session.remove()
