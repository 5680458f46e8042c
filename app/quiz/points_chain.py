"""The points ledger's hash chain: each member's entries are chained as the 学时 ledger's are
(both by :mod:`app.core.chains`), so an entry changed, inserted or deleted with plain SQL is named
by ``flask points verify`` and by the nightly verification.

This module holds what is the points ledger's own: the fields an entry's hash covers, its head
(:class:`PointsHead`, locked while an award is appended, so two awards at once for one member
queue) and the messages. Rows that existed before the chain (migration 0025) were chained by the
migration, in id order.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.chains import GENESIS_HASH, ChainProblem, ChainWording, chain_digest, link, verify_chains
from app.core.transactions import insert_or_skip
from app.extensions import db
from app.quiz.models import PointsDay, PointsEntry, PointsHead


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
        str(user_id),
        str(chain_index),
        action,
        ref,
        str(points),
        day.isoformat(),
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
        note or "",
    ]
    return chain_digest(prev_hash, fields)


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
    link(entry, head, digest_of)


def advance(head: PointsHead, entry: PointsEntry) -> None:
    """Move the head onto ``entry`` once it is stored."""
    head.last_entry_id, head.last_hash, head.length = entry.id, entry.hash, entry.chain_index


# --- verification -------------------------------------------------------------------------------


#: How the points ledger names what :func:`app.core.chains.verify_chains` finds.
WORDING = ChainWording(
    head_missing=lambda: _("积分链头缺失：该成员的积分记录不在任何链上"),
    tail_changed=lambda entry_id: _("链尾不符：末条积分记录 #%(id)s 被删除或改动", id=entry_id),
    gap=lambda entry_id, n: _("积分记录 #%(id)s 之前缺少 %(n)s 条记录（被删除）", id=entry_id, n=n),
    inserted=lambda entry_id: _("积分记录 #%(id)s 的序号重复（被插入）", id=entry_id),
    broken_link=lambda entry_id: _(
        "积分记录 #%(id)s 与前一条记录接不上（前面有记录被删除、插入或改动）", id=entry_id
    ),
    changed=lambda entry_id: _("积分记录 #%(id)s 的内容被改动（哈希不符）", id=entry_id),
    all_deleted=lambda n: _("成员的 %(n)s 条积分记录全部缺失（被删除）", n=n),
)


def verify_points(batch: int = 2000) -> Iterator[ChainProblem]:
    """Walk every member's points chain; yield each changed, inserted or deleted entry, then each
    day's counter that no longer matches the entries it counts.

    The walk is records' ``verify_ledger``'s (:func:`app.core.chains.verify_chains`); the tables,
    digests and messages are each ledger's own."""
    heads = {h.user_id: h for h in db.session.scalars(sa.select(PointsHead))}
    query = sa.select(PointsEntry).order_by(PointsEntry.user_id, PointsEntry.chain_index, PointsEntry.id)
    entries = db.session.execute(query.execution_options(yield_per=batch)).scalars()
    yield from verify_chains(entries, heads, digest_of, WORDING)
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
