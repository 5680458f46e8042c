"""The points ledger's hash chain: each member's entries are chained like the 学时 ledger's
(:mod:`app.records.services.ledger`), so an entry changed, inserted or deleted with plain SQL is
named by ``flask points verify`` and by the nightly verification.

Every entry stores its position in the member's chain (``chain_index``, from 1), the hash of the
entry before it (``prev_hash``, zeros for the first) and its own hash over ``prev_hash`` and its
fields. The member's :class:`PointsHead` holds the last entry's id and hash: it is locked while an
award is appended, so two awards at once for one member queue, and a deleted tail is seen. Rows
that existed before the chain (migration 0025) were chained by the migration, in id order.
"""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.transactions import insert_or_skip
from app.extensions import db
from app.quiz.models import PointsDay, PointsEntry, PointsHead

GENESIS_HASH = "0" * 64


def entry_digest(
    prev_hash: str,
    *,
    user_id: int,
    chain_index: int,
    action: str,
    ref: str,
    points: int,
    day: date,
    created_at: datetime,
    note: str,
) -> str:
    """The hash of one entry. Its fields and their spelling never change: migration 0025 chained
    the older rows with this very function."""
    moment = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
    fields = [
        prev_hash,
        str(user_id),
        str(chain_index),
        action,
        ref,
        str(points),
        day.isoformat(),
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
        note or "",
    ]
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()


def digest_of(prev_hash: str, entry: PointsEntry) -> str:
    return entry_digest(
        prev_hash,
        user_id=entry.user_id,
        chain_index=entry.chain_index,
        action=entry.action,
        ref=entry.ref,
        points=entry.points,
        day=entry.day,
        created_at=entry.created_at,
        note=entry.note,
    )


def locked_head(user_id: int) -> PointsHead:
    """The member's head, locked (created on their first award): awards of one member queue here."""
    db.session.execute(
        insert_or_skip(PointsHead, ["user_id"]),
        [{"user_id": user_id, "last_entry_id": None, "last_hash": GENESIS_HASH, "length": 0}],
    )
    return db.session.scalars(
        sa.select(PointsHead)
        .where(PointsHead.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def chain(entry: PointsEntry, head: PointsHead) -> None:
    """Give ``entry`` its place after the head (the caller holds the head's lock)."""
    entry.chain_index = head.length + 1
    entry.prev_hash = head.last_hash
    entry.hash = digest_of(head.last_hash, entry)


def advance(head: PointsHead, entry: PointsEntry) -> None:
    """Move the head onto ``entry`` once it is stored."""
    head.last_entry_id, head.last_hash, head.length = entry.id, entry.hash, entry.chain_index


# --- verification -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainProblem:
    user_id: int
    entry_id: int | None
    message: str


def _close(head: PointsHead | None, user_id: int, last: PointsEntry | None) -> Iterator[ChainProblem]:
    if head is None:
        yield ChainProblem(user_id, None, _("积分链头缺失：该成员的积分记录不在任何链上"))
    elif last is None or head.last_entry_id != last.id or head.last_hash != last.hash:
        yield ChainProblem(
            user_id,
            head.last_entry_id,
            _("链尾不符：末条积分记录 #%(id)s 被删除或改动", id=head.last_entry_id),
        )


def _check_entry(entry: PointsEntry, prev_hash: str, expected: int) -> Iterator[ChainProblem]:
    if entry.chain_index is None or entry.chain_index < expected:
        yield ChainProblem(entry.user_id, entry.id, _("积分记录 #%(id)s 的序号重复（被插入）", id=entry.id))
    elif entry.chain_index > expected:
        yield ChainProblem(
            entry.user_id,
            entry.id,
            _(
                "积分记录 #%(id)s 之前缺少 %(n)s 条记录（被删除）",
                id=entry.id,
                n=entry.chain_index - expected,
            ),
        )
    if entry.prev_hash != prev_hash:
        yield ChainProblem(
            entry.user_id,
            entry.id,
            _("积分记录 #%(id)s 与前一条记录接不上（前面有记录被删除、插入或改动）", id=entry.id),
        )
    if entry.chain_index is None or not entry.hash or digest_of(entry.prev_hash or "", entry) != entry.hash:
        yield ChainProblem(
            entry.user_id, entry.id, _("积分记录 #%(id)s 的内容被改动（哈希不符）", id=entry.id)
        )


def verify_points(batch: int = 2000) -> Iterator[ChainProblem]:
    """Walk every member's points chain; yield each changed, inserted or deleted entry, then each
    day's counter that no longer matches the entries it counts.

    The walk has the shape of records' ``verify_ledger`` on purpose (the same rules, so that both
    ledgers name tampering alike); the tables, digests and messages are each ledger's own."""
    heads = {h.user_id: h for h in db.session.scalars(sa.select(PointsHead))}
    seen: set[int] = set()
    current, prev_hash, expected, last = None, GENESIS_HASH, 1, None
    query = sa.select(PointsEntry).order_by(PointsEntry.user_id, PointsEntry.chain_index, PointsEntry.id)
    for entry in db.session.execute(query.execution_options(yield_per=batch)).scalars():
        if entry.user_id != current:
            if current is not None:
                yield from _close(heads.get(current), current, last)
            current, prev_hash, expected, last = entry.user_id, GENESIS_HASH, 1, None
            seen.add(entry.user_id)
        yield from _check_entry(entry, prev_hash, expected)
        prev_hash, expected, last = entry.hash, (entry.chain_index or expected) + 1, entry
    if current is not None:
        yield from _close(heads.get(current), current, last)
    for user_id, head in heads.items():
        if user_id not in seen and head.length > 0:
            yield ChainProblem(
                user_id, head.last_entry_id, _("成员的 %(n)s 条积分记录全部缺失（被删除）", n=head.length)
            )
    yield from _verify_days()


def _verify_days() -> Iterator[ChainProblem]:
    """Each day's counter (what the daily caps are checked against) against its entries."""
    sums = {
        (u, d, a): int(total)
        for u, d, a, total in db.session.execute(
            sa.select(
                PointsEntry.user_id, PointsEntry.day, PointsEntry.action, sa.func.sum(PointsEntry.points)
            ).group_by(PointsEntry.user_id, PointsEntry.day, PointsEntry.action)
        )
    }
    counters = {
        (u, d, a): total
        for u, d, a, total in db.session.execute(
            sa.select(PointsDay.user_id, PointsDay.day, PointsDay.action, PointsDay.total)
        )
    }
    for key in sorted(sums.keys() | counters.keys()):
        summed, counted = sums.get(key, 0), counters.get(key)
        if counted != summed and not (counted == 0 and summed == 0):
            user_id, day, action = key
            yield ChainProblem(
                user_id,
                None,
                _(
                    "%(day)s %(action)s 的当日积分（%(counted)s）与记录之和（%(sum)s）不符",
                    day=day.isoformat(),
                    action=action,
                    counted="-" if counted is None else counted,
                    sum=summed,
                ),
            )
