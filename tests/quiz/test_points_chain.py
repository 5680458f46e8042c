"""The points ledger is tamper-evident: `flask points verify` names an entry changed, inserted or
deleted with plain SQL; concurrent awards keep every chain whole; the migration chains older rows."""

import os
from datetime import date

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app.accounts import services as account_services
from app.config import TestConfig
from app.extensions import db
from app.quiz.models import PointsEntry, PointsHead
from app.quiz.points import award_points
from app.quiz.points_chain import verify_points
from tests.conftest import ROOT, _scratch_database, side_app
from tests.quiz.test_points import race

#: The revision the points chain follows (the migration chains what was written before it).
BEFORE_CHAIN = (
    (ROOT / "migrations" / "versions" / "0025_points_chain.py")
    .read_text()
    .split('down_revision = "', 1)[1]
    .split('"', 1)[0]
)


@pytest.fixture
def ledger(create_user):
    """Two members with a few awards each: ``(ids of the first member's entries, member, other)``."""
    member, other = create_user("member"), create_user("member")
    for i in range(4):
        award_points(member, "daily_quiz", f"q:{i}", 1, "每日答题答对一题")
    award_points(other, "duel", "duel:1", 3, "双人对战获胜")
    db.session.commit()
    ids = db.session.scalars(
        sa.select(PointsEntry.id).where(PointsEntry.user_id == member.id).order_by(PointsEntry.id)
    ).all()
    return ids, member, other


def verify(runner):
    return runner.invoke(args=["points", "verify"])


def test_an_untouched_ledger_verifies(ledger, runner):
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert "积分账本完整" in result.output


def test_changing_points_with_sql_is_named(ledger, runner):
    ids, member, _other = ledger
    db.session.execute(sa.text("UPDATE points_entry SET points = 50 WHERE id = :id"), {"id": ids[1]})
    db.session.execute(
        sa.text("UPDATE points_day SET total = total + 49 WHERE user_id = :u AND action = 'daily_quiz'"),
        {"u": member.id},
    )  # and the day's counter to match, as a careful forger would
    result = verify(runner)
    assert result.exit_code == 1
    assert f"积分记录 #{ids[1]} 的内容被改动" in result.output
    assert f"成员 {member.id} 积分记录 #{ids[1]}" in result.output


def test_deleting_an_entry_is_named(ledger, runner):
    ids, _member, _other = ledger
    db.session.execute(sa.text("DELETE FROM points_entry WHERE id = :id"), {"id": ids[1]})
    result = verify(runner)
    assert result.exit_code == 1
    assert f"积分记录 #{ids[2]} 之前缺少 1 条记录（被删除）" in result.output


def test_deleting_the_last_entry_is_named(ledger, runner):
    ids, _member, _other = ledger
    db.session.execute(sa.text("DELETE FROM points_entry WHERE id = :id"), {"id": ids[-1]})
    result = verify(runner)
    assert result.exit_code == 1
    assert f"末条积分记录 #{ids[-1]} 被删除或改动" in result.output


def test_deleting_every_entry_of_a_member_is_named(ledger, runner):
    _ids, _member, other = ledger
    db.session.execute(sa.text("DELETE FROM points_entry WHERE user_id = :u"), {"u": other.id})
    result = verify(runner)
    assert result.exit_code == 1
    assert f"成员 {other.id}" in result.output
    assert "1 条积分记录全部缺失" in result.output


def test_an_inserted_entry_is_named(ledger, runner):
    ids, member, _other = ledger
    last = db.session.get(PointsEntry, ids[-1])
    db.session.execute(
        sa.text(
            "INSERT INTO points_entry (user_id, action, ref, points, day, created_at, note, chain_index,"
            " prev_hash, hash) VALUES (:u, 'contest', 'forged', 10, :day, :at, '竞赛', :i, :p, :h)"
        ),
        {
            "u": member.id,
            "day": date(2026, 3, 2),
            "at": last.created_at.replace(tzinfo=None),
            "i": last.chain_index + 1,
            "p": last.hash,
            "h": "f" * 64,
        },
    )
    forged = db.session.scalar(sa.select(PointsEntry.id).where(PointsEntry.ref == "forged"))
    result = verify(runner)
    assert result.exit_code == 1
    assert f"积分记录 #{forged} 的内容被改动（哈希不符）" in result.output
    assert "当日积分" in result.output  # the day's counter does not hold the forged 10 points


def test_a_forged_day_counter_is_named(ledger, runner):
    _ids, member, _other = ledger
    db.session.execute(
        sa.text("UPDATE points_day SET total = 0 WHERE user_id = :u AND action = 'daily_quiz'"),
        {"u": member.id},
    )  # lifts the cap for the rest of the day
    result = verify(runner)
    assert result.exit_code == 1
    assert "daily_quiz 的当日积分（0）与记录之和（4）不符" in result.output


@pytest.mark.integration
def test_awards_at_once_for_one_member_and_for_several_keep_every_chain_whole(shared_app):
    with shared_app.app_context():
        users = [
            account_services.create_user(
                account_services.UserData(employee_no=f"CH{i}", name=f"链{i}", mobile=f"1376666000{i}"),
                ["member"],
                None,
            ).id
            for i in range(3)
        ]
        db.session.commit()
        db.session.remove()
    calls = [lambda i=i: award_points(users[0], "challenge", f"chain:{i}", 1).points for i in range(10)]
    calls += [lambda u=u: award_points(u, "duel", "chain:same", 2).points for u in users for _ in range(3)]
    race(shared_app, calls)
    with shared_app.app_context():
        assert list(verify_points()) == []
        head = db.session.get(PointsHead, users[0])
        indexes = db.session.scalars(
            sa.select(PointsEntry.chain_index)
            .where(PointsEntry.user_id == users[0])
            .order_by(PointsEntry.chain_index)
        ).all()
        assert indexes == list(range(1, 12))  # ten challenges and one duel, each once, in one line
        assert head.length == 11
        db.session.remove()


def test_the_migration_chains_the_entries_written_before_it(app, tmp_path):
    base = os.environ.get("DATABASE_URL", "")
    context = _scratch_database(base) if base.startswith("postgresql") else None
    url = context.__enter__() if context else f"sqlite:///{tmp_path / 'chain.sqlite'}"

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    old = side_app(Config, app)
    migrations = str(ROOT / "migrations")
    try:
        with old.app_context():
            upgrade(directory=migrations, revision=BEFORE_CHAIN)
            with db.engine.begin() as conn:  # the schema of then: the models of today do not fit it
                user_id = conn.execute(
                    sa.text(
                        'INSERT INTO "user" (employee_no, name, mobile, must_change_password,'
                        " is_active_account, failed_logins, auth_nonce, created_at, updated_at)"
                        " VALUES ('M1', '老党员', '13800000001', false, true, 0, 'n', :at, :at) RETURNING id"
                    ),
                    {"at": "2026-01-01 00:00:00"},
                ).scalar()
            with db.engine.begin() as conn:
                for i in range(3):
                    conn.execute(
                        sa.text(
                            "INSERT INTO points_entry (user_id, action, ref, points, day, created_at, note)"
                            " VALUES (:u, 'daily_quiz', :ref, 1, '2026-01-05', :at, '每日答题')"
                        ),
                        {"u": user_id, "ref": f"old:{i}", "at": f"2026-01-05 02:00:0{i}.123456"},
                    )
                conn.execute(
                    sa.text(
                        "INSERT INTO points_day (user_id, day, action, total)"
                        " VALUES (:u, '2026-01-05', 'daily_quiz', 3)"
                    ),
                    {"u": user_id},
                )
            upgrade(directory=migrations, revision="heads")
            assert list(verify_points()) == []
            assert db.session.get(PointsHead, user_id).length == 3
            award_points(user_id, "daily_quiz", "new", 1)  # appended after the migrated chain
            db.session.commit()
            assert list(verify_points()) == []
            db.session.execute(sa.text("UPDATE points_entry SET points = 9 WHERE ref = 'old:0'"))
            assert next(p.message for p in verify_points()).endswith("的内容被改动（哈希不符）")
            db.session.rollback()
            db.session.remove()
            db.engine.dispose()
    finally:
        if context:
            context.__exit__(None, None, None)
