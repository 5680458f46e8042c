"""The nightly verification: beat runs it, a tampered ledger raises a persistent alert on the admin's
home page and notifies every admin once, and the alert clears when a later verification passes."""

import threading

import pytest
import sqlalchemy as sa

from app.accounts import services as account_services
from app.core.tasks import init_celery
from app.extensions import celery, db
from app.portal import integrity
from app.portal.models import IntegrityStatus, Notification
from app.portal.tasks import verify_ledgers_task
from app.quiz.models import PointsEntry
from app.quiz.points import award_points
from app.records import services as records
from tests.portal.fixtures import notifications_of


def _ledgers(create_user):
    member, coordinator = create_user("member"), create_user("coordinator")
    award_points(member, "daily_quiz", "q:1", 1)
    award_points(member, "daily_quiz", "q:2", 1)
    records.credit_offline_hours(
        member, source_kind="manual", source_ref="m:1", minutes=90, actor=coordinator, reason="集中学习"
    )
    db.session.commit()
    return member


def test_beat_runs_the_verification_every_night(app):
    init_celery(app)
    entry = celery.conf.beat_schedule["portal-verify-ledgers"]
    assert entry["task"] == "portal.verify_ledgers"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {30})


def test_a_clean_night_raises_nothing(app, create_user, as_user, clock):
    admin = create_user("admin", name="值班管理员")
    _ledgers(create_user)
    result = verify_ledgers_task.apply().get()
    assert result == [
        {"name": "points", "ok": True, "problems": 0},
        {"name": "records", "ok": True, "problems": 0},
    ]
    assert 'data-testid="integrity-alert"' not in as_user(admin).get("/").get_data(as_text=True)
    assert [n for n in notifications_of(admin) if n.kind == "integrity.failed"] == []


def test_tampering_raises_the_alert_notifies_admins_once_and_clears_when_repaired(
    create_user, as_user, clock
):
    admins = [create_user("admin", name="管理员甲"), create_user("admin", name="管理员乙")]
    member = _ledgers(create_user)
    entry_id = db.session.scalar(
        sa.select(sa.func.min(PointsEntry.id)).where(PointsEntry.user_id == member.id)
    )
    db.session.execute(sa.text("UPDATE points_entry SET points = 30 WHERE id = :id"), {"id": entry_id})
    db.session.execute(sa.text("UPDATE hours_entry SET hours = 9 WHERE user_id = :u"), {"u": member.id})
    db.session.commit()

    result = verify_ledgers_task.apply().get()
    assert {r["name"]: r["ok"] for r in result} == {"points": False, "records": False}
    page = as_user(admins[0]).get("/").get_data(as_text=True)
    assert 'data-testid="integrity-alert"' in page
    assert f"积分记录 #{entry_id} 的内容被改动（哈希不符）" in page
    assert "flask points verify" in page
    assert "flask records verify" in page
    for admin in admins:
        told = [n for n in notifications_of(admin) if n.kind == "integrity.failed"]
        assert sorted(n.title for n in told) == ["学时账本校验失败", "积分账本校验失败"]
    assert [n for n in notifications_of(member) if n.kind == "integrity.failed"] == []

    clock.advance(24 * 3600)
    verify_ledgers_task.apply().get()  # the next night: still failing, the alert stays, nobody told twice
    assert 'data-testid="integrity-alert"' in as_user(admins[1]).get("/").get_data(as_text=True)
    assert len([n for n in notifications_of(admins[0]) if n.kind == "integrity.failed"]) == 2
    status = db.session.get(IntegrityStatus, "points")
    assert status.failing_since < status.checked_at

    db.session.execute(sa.text("UPDATE points_entry SET points = 1 WHERE id = :id"), {"id": entry_id})
    db.session.execute(sa.text("UPDATE hours_entry SET hours = 2.00 WHERE user_id = :u"), {"u": member.id})
    db.session.commit()
    clock.advance(24 * 3600)
    result = verify_ledgers_task.apply().get()
    assert all(r["ok"] for r in result)
    assert 'data-testid="integrity-alert"' not in as_user(admins[0]).get("/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(IntegrityStatus, "points").failing_since is None


def test_members_never_see_the_alert(create_user, as_user, clock):
    member = _ledgers(create_user)
    db.session.execute(sa.text("DELETE FROM points_entry WHERE user_id = :u"), {"u": member.id})
    db.session.commit()
    verify_ledgers_task.apply().get()
    page = as_user(member).get("/").get_data(as_text=True)
    assert 'data-testid="integrity-alert"' not in page


@pytest.mark.integration
def test_two_runs_at_once_notify_admins_once(shared_app):
    """Beat fired twice (two beats by mistake, a retry): the status rows queue the runs, and the
    second finds the first's verdict, so admins hear of a failure once."""
    with shared_app.app_context():
        admin = account_services.create_user(
            account_services.UserData(employee_no="NA1", name="管理员", mobile="13955552000"), ["admin"], None
        )
        member = account_services.create_user(
            account_services.UserData(employee_no="NM1", name="党员", mobile="13955552001"), ["member"], None
        )
        award_points(member, "daily_quiz", "q:1", 1)
        db.session.commit()
        db.session.execute(sa.text("UPDATE points_entry SET points = 5 WHERE user_id = :u"), {"u": member.id})
        db.session.commit()
        admin_id = admin.id
        db.session.remove()
    barrier = threading.Barrier(4)
    errors = []

    def run():
        try:
            with shared_app.app_context():
                barrier.wait(timeout=30)
                integrity.verify_ledgers()
                db.session.commit()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    with shared_app.app_context():
        told = db.session.scalars(
            sa.select(Notification.title).where(
                Notification.user_id == admin_id, Notification.kind == "integrity.failed"
            )
        ).all()
        assert told == ["积分账本校验失败"]
        assert db.session.get(IntegrityStatus, "points").ok is False
        db.session.remove()
