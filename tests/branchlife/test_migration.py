"""Migration 0016 moves the meetings records kept into organisation life: every recorded meeting,
who attended it and every credited ledger entry survive it (a database seeded before it)."""

import os
from datetime import date

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.config import TestConfig
from app.extensions import db
from tests.conftest import ROOT, _scratch_database, side_app


@pytest.fixture
def database_before(tmp_path):
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgresql"):
        with _scratch_database(base) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'before.sqlite'}"


def _seed(conn) -> None:
    """What 0015 held: a branch, two members, two recorded meetings and their ledger entries."""
    conn.execute(
        sa.text(
            "INSERT INTO branch (id, name, kind, path, depth, sort_order, created_at, updated_at) "
            "VALUES (1, '第一党支部', 'branch', '/1/', 0, 0, :t, :t)"
        ),
        {"t": "2026-06-01 00:00:00"},
    )
    for uid in (1, 2):
        conn.execute(
            sa.text(
                'INSERT INTO "user" (id, employee_no, name, branch_id, must_change_password,'
                " is_active_account,"
                " auth_nonce, failed_logins, created_at, updated_at) VALUES (:id, :no, :name, 1, false, true,"
                " 'n', 0, :t, :t)"
            ),
            {"id": uid, "no": f"E{uid}", "name": f"成员{uid}", "t": "2026-06-01 00:00:00"},
        )
    for mid, kind, attendees in ((1, "assembly", 2), (2, "lesson", 1)):
        conn.execute(
            sa.text(
                "INSERT INTO meeting (id, branch_id, branch_name, kind, title, held_on, minutes, attendees,"
                " created_at) VALUES (:id, 1, '第一党支部', :kind, '学习党章', :day, 90, :n, :t)"
            ),
            {"id": mid, "kind": kind, "n": attendees, "day": date(2026, 6, mid), "t": "2026-06-05 00:00:00"},
        )
    entries = [(1, 1, 1), (2, 2, 1), (3, 1, 2)]  # (entry id, user, meeting)
    for eid, uid, mid in entries:
        conn.execute(
            sa.text(
                "INSERT INTO hours_entry (id, user_id, year, hours, source_kind, source_ref, title, reason,"
                " occurred_on, created_at, chain_index, prev_hash, hash)"
                " VALUES (:id, :u, 2026, 2.00, 'meeting',"
                " :ref, 't', 'r', :t, :t, :ci, 'p', :h)"
            ),
            {
                "id": eid,
                "u": uid,
                "ref": f"meeting:{mid}",
                "t": "2026-06-05 04:00:00",
                "ci": eid,
                "h": f"h{eid}",
            },
        )


def test_recorded_meetings_their_attendance_and_ledger_entries_survive(app, database_before):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_before

    scratch = side_app(Config, app)
    migrations = str(ROOT / "migrations")
    with scratch.app_context():
        upgrade(directory=migrations, revision="0015_course_shares_version")
        with db.engine.begin() as conn:
            _seed(conn)
            before = conn.execute(
                sa.text("SELECT id, user_id, hours, source_ref, hash FROM hours_entry ORDER BY id")
            ).all()

        upgrade(directory=migrations, revision="0016_branchlife")
        with db.engine.connect() as conn:
            meetings = conn.execute(
                sa.text("SELECT id, kind, status, attendees, title FROM meeting ORDER BY id")
            ).all()
            attendance = conn.execute(
                sa.text(
                    "SELECT meeting_id, user_id, state, method FROM meeting_attendance"
                    " ORDER BY meeting_id, user_id"
                )
            ).all()
            after = conn.execute(
                sa.text("SELECT id, user_id, hours, source_ref, hash FROM hours_entry ORDER BY id")
            ).all()
        assert [tuple(m) for m in meetings] == [
            (1, "general_assembly", "finalised", 2, "学习党章"),
            (2, "lecture", "finalised", 1, "学习党章"),
        ]
        assert [tuple(a) for a in attendance] == [
            (1, 1, "present", "recorded"),
            (1, 2, "present", "recorded"),
            (2, 1, "present", "recorded"),
        ]
        assert after == before  # the ledger is not touched: same entries, same sources, same hashes

        downgrade(directory=migrations, revision="0015_course_shares_version")
        with db.engine.connect() as conn:
            kinds = conn.execute(sa.text("SELECT kind FROM meeting ORDER BY id")).scalars().all()
            assert kinds == ["assembly", "lesson"]
            assert conn.execute(sa.text("SELECT count(*) FROM hours_entry")).scalar() == 3
        db.session.remove()
        db.engine.dispose()
