"""One hash-chain helper (app/core/chains.py) serves the 学时 and the 积分 ledgers, and the hashes
already stored do not change with it: rows written before the helper still verify.

The known hashes below were printed by the code as it was before the helper existed
(``app.records.services.ledger._entry_digest`` and ``app.quiz.points_chain.digest_of``);
``_frozen_*`` are that code's digests, copied unchanged, to write chains the way old rows were written.
"""

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.core.chains import GENESIS_HASH, chain_digest
from app.core.clock import LOCAL_TZ
from app.extensions import db
from app.quiz.models import PointsDay, PointsEntry, PointsHead
from app.quiz.points_chain import digest_of, verify_points
from app.records.models import HoursEntry, HoursTotal, LedgerHead
from app.records.services.ledger import _entry_digest, verify_ledger

HOURS_VECTORS = [
    "12ab2a36b988411587936dbba9348391a7079bf2b005559c24e84f43f404f1eb",
    "2253831797da161838a90497158bb28cce1429f07cbc9e7b2b83fb715ff91b43",
]
POINTS_VECTORS = [
    "4ffdf7ca46deecbf55522f417da7837e5ec54d5df0a8bda00f7dbb12ade4fccc",
    "0b54a2c30df165cffbb643e516e2eb63dee0d1b8c7686dedb9ff5b55e13669b7",
]


def _hours_entries(user_id: int, recorded_by: tuple = (3, 4), reverses: int | None = 1) -> list[HoursEntry]:
    """Two entries, the second reversing the first; the vectors were printed with coordinators 3 and
    4 recording them and entry 1 reversed (rows stored here name no other rows)."""
    return [
        HoursEntry(
            user_id=user_id,
            chain_index=1,
            year=2025,
            hours=Decimal("1.50"),
            source_kind="manual",
            source_ref="m:1",
            course_id=None,
            title="党课",
            reason="线下学习",
            recorded_by_id=recorded_by[0],
            occurred_on=datetime(2025, 3, 1, 4, 0, tzinfo=UTC),
            reverses_id=None,
        ),
        HoursEntry(
            user_id=user_id,
            chain_index=2,
            year=2025,
            hours=Decimal("-1.50"),
            source_kind="reversal",
            source_ref="r:1",
            course_id=12,
            title="党课",
            reason="录错",
            recorded_by_id=recorded_by[1],
            occurred_on=datetime(2025, 3, 2, 4, 0, tzinfo=UTC),
            reverses_id=reverses,
        ),
    ]


def _points_entries(user_id: int, aware: bool = False) -> list[PointsEntry]:
    """Two awards; the second's time was naive when the vector was printed (read as UTC, so the
    aware time a row holds hashes alike)."""
    return [
        PointsEntry(
            user_id=user_id,
            chain_index=1,
            action="daily_quiz",
            ref="q:1",
            points=5,
            day=date(2025, 3, 1),
            created_at=datetime(2025, 3, 1, 4, 0, 0, 123456, tzinfo=UTC),
            note="",
        ),
        PointsEntry(
            user_id=user_id,
            chain_index=2,
            action="reading",
            ref="a:9",
            points=2,
            day=date(2025, 3, 1),
            created_at=datetime(2025, 3, 1, 5, 0, tzinfo=UTC if aware else None),
            note="阅读",
        ),
    ]


def _frozen_hours_digest(prev_hash: str, e: HoursEntry) -> str:
    fields = [
        prev_hash,
        str(e.user_id),
        str(e.chain_index),
        str(e.year),
        f"{Decimal(e.hours):.2f}",
        e.source_kind,
        e.source_ref,
        str(e.course_id or ""),
        e.title or "",
        e.reason or "",
        str(e.recorded_by_id or ""),
        e.occurred_on.astimezone(LOCAL_TZ).isoformat(),
        str(e.reverses_id or ""),
    ]
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()


def _frozen_points_digest(prev_hash: str, e: PointsEntry) -> str:
    moment = e.created_at if e.created_at.tzinfo else e.created_at.replace(tzinfo=UTC)
    fields = [
        prev_hash,
        str(e.user_id),
        str(e.chain_index),
        e.action,
        e.ref,
        str(e.points),
        e.day.isoformat(),
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
        e.note or "",
    ]
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()


def test_the_digest_is_sha256_over_the_previous_hash_and_the_fields_joined_by_the_unit_separator():
    expected = hashlib.sha256("\x1f".join([GENESIS_HASH, "7", "党课"]).encode()).hexdigest()
    assert chain_digest(GENESIS_HASH, ["7", "党课"]) == expected


@pytest.mark.parametrize("ledger", ["hours", "points"])
def test_hashes_are_those_the_code_before_the_shared_helper_stored(app, ledger):
    make, digest, vectors = {
        "hours": (_hours_entries, _entry_digest, HOURS_VECTORS),
        "points": (_points_entries, digest_of, POINTS_VECTORS),
    }[ledger]
    first, second = make(7)
    first_hash = digest(GENESIS_HASH, first)
    assert [first_hash, digest(first_hash, second)] == vectors


def _store(entries, digest, head_class, user_id):
    prev = GENESIS_HASH
    for entry in entries:
        entry.prev_hash, entry.hash = prev, digest(prev, entry)
        prev = entry.hash
    db.session.add_all(entries)
    db.session.flush()
    db.session.add(
        head_class(user_id=user_id, last_entry_id=entries[-1].id, last_hash=prev, length=len(entries))
    )


def test_a_chain_written_before_the_helper_still_verifies(create_user, runner):
    member = create_user()
    _store(_hours_entries(member.id, (None, None), None), _frozen_hours_digest, LedgerHead, member.id)
    db.session.add(HoursTotal(user_id=member.id, year=2025, hours=Decimal("0.00")))
    _store(_points_entries(member.id, aware=True), _frozen_points_digest, PointsHead, member.id)
    db.session.add_all(
        [
            PointsDay(user_id=member.id, day=date(2025, 3, 1), action="daily_quiz", total=5),
            PointsDay(user_id=member.id, day=date(2025, 3, 1), action="reading", total=2),
        ]
    )
    db.session.commit()

    assert list(verify_ledger()) == []
    assert list(verify_points()) == []
    result = runner.invoke(args=["records", "verify"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["points", "verify"])
    assert result.exit_code == 0, result.output


def test_an_old_row_changed_afterwards_is_still_named(create_user):
    member = create_user()
    entries = _hours_entries(member.id, (None, None), None)
    _store(entries, _frozen_hours_digest, LedgerHead, member.id)
    db.session.add(HoursTotal(user_id=member.id, year=2025, hours=Decimal("0.00")))
    db.session.commit()
    entries[0].reason = "改过的原因"
    db.session.commit()
    assert [p.message for p in verify_ledger()] == [f"记录 #{entries[0].id} 的内容被改动（哈希不符）"]
