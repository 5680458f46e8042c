"""The append-only, hash-chained ledger of hours: appending, offline hours, reversals, verification."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts.models import User
from app.core import audit
from app.core.chains import GENESIS_HASH, ChainProblem, ChainWording, chain_digest, link, verify_chains
from app.core.clock import LOCAL_TZ, utcnow
from app.core.transactions import insert_or_skip
from app.extensions import db
from app.records.models import (
    HoursEntry,
    HoursTotal,
    LedgerHead,
)
from app.records.services.base import HoursPolicy, RecordsError
from app.records.services.xapi import record_statement

# --- the ledger ---------------------------------------------------------------------------------


def _entry_digest(prev_hash: str, e: HoursEntry) -> str:
    """The hash of one entry over ``prev_hash`` and these fields, spelt so: stored hashes depend on it."""
    fields = [
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
    return chain_digest(prev_hash, fields)


@dataclass(frozen=True)
class EntryDraft:
    """One entry to append to a member's chain (see :func:`append_entries`)."""

    member_id: int
    hours: Decimal
    source_kind: str
    source_ref: str
    reason: str
    occurred_at: datetime
    course_id: int | None = None
    title: str = ""
    reverses_id: int | None = None


def append_entry(
    member: User,
    *,
    hours: Decimal,
    source_kind: str,
    source_ref: str,
    actor: User | None,
    reason: str,
    occurred_at: datetime,
    course_id: int | None = None,
    title: str = "",
    reverses_id: int | None = None,
) -> HoursEntry | None:
    """Append to ``member``'s chain; ``None`` when this source was already credited (exactly once)."""
    draft = EntryDraft(
        member.id, hours, source_kind, source_ref, reason, occurred_at, course_id, title, reverses_id
    )
    return append_entries([draft], actor)[0]


def append_entries(drafts: list[EntryDraft], actor: User | None) -> list[HoursEntry | None]:
    """Append each draft to its member's chain, in a handful of statements however many members
    (a meeting's attendance): the members' ledger heads are locked in id order (so concurrent
    appends queue per member and never deadlock), then entries, heads and yearly totals are written
    in batches. A source is credited once per member: ``None`` stands in the result for a draft
    already credited (or repeated within ``drafts``)."""
    if not drafts:
        return []
    _refuse_self_recorded(drafts, actor)
    member_ids = sorted({d.member_id for d in drafts})
    heads = locked_heads(member_ids)
    credited = set(
        db.session.execute(
            sa.select(HoursEntry.user_id, HoursEntry.source_kind, HoursEntry.source_ref).where(
                HoursEntry.user_id.in_(member_ids),
                HoursEntry.source_ref.in_({d.source_ref for d in drafts}),
            )
        ).all()
    )
    results: list[HoursEntry | None] = []
    appended: list[HoursEntry] = []
    for d in drafts:
        key = (d.member_id, d.source_kind, d.source_ref)
        if key in credited:
            results.append(None)
            continue
        credited.add(key)
        head = heads[d.member_id]
        entry = HoursEntry(
            user_id=d.member_id,
            year=d.occurred_at.astimezone(LOCAL_TZ).year,
            hours=Decimal(d.hours).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
            source_kind=d.source_kind,
            source_ref=d.source_ref,
            course_id=d.course_id,
            title=d.title[:200],
            reason=d.reason[:500],
            recorded_by_id=actor.id if actor else None,
            occurred_on=d.occurred_at,
            created_at=utcnow(),
            reverses_id=d.reverses_id,
        )
        link(entry, head, _entry_digest)
        head.last_hash, head.length = entry.hash, entry.chain_index
        results.append(entry)
        appended.append(entry)
    if appended:
        db.session.add_all(appended)
        db.session.flush()
        for entry in appended:
            heads[entry.user_id].last_entry_id = entry.id
        _add_to_totals(appended)
        db.session.flush()
    return results


#: Sources that exist only because a person said so: nobody may be their own beneficiary. (A member's
#: own check-in to a class is verified by a code the trainer shows, and lessons by the server.)
RECORDED_BY_OTHERS = frozenset({"manual", "meeting", "reversal"})


def _refuse_self_recorded(drafts: list[EntryDraft], actor: User | None) -> None:
    if actor is None:
        return
    if any(d.member_id == actor.id and d.source_kind in RECORDED_BY_OTHERS for d in drafts):
        raise RecordsError(_("不能为自己记录或冲销学时，请由其他组织员办理"), 403, "member")


def locked_heads(member_ids: list[int]) -> dict[int, LedgerHead]:
    """The members' ledger heads, locked in id order; a member's first append creates theirs."""
    query = (
        sa.select(LedgerHead)
        .where(LedgerHead.user_id.in_(member_ids))
        .order_by(LedgerHead.user_id)
        .with_for_update()
    )
    heads = {h.user_id: h for h in db.session.scalars(query)}
    missing = [i for i in member_ids if i not in heads]
    if missing:
        db.session.execute(
            insert_or_skip(LedgerHead, ["user_id"]),
            [{"user_id": i, "last_entry_id": None, "last_hash": GENESIS_HASH, "length": 0} for i in missing],
        )
        heads = {h.user_id: h for h in db.session.scalars(query)}
    return heads


def _add_to_totals(entries: list[HoursEntry]) -> None:
    """Add the entries to their members' yearly totals; the caller holds those members' heads."""
    sums: dict[tuple[int, int], Decimal] = {}
    for e in entries:
        sums[(e.user_id, e.year)] = sums.get((e.user_id, e.year), Decimal(0)) + e.hours
    table = HoursTotal.__table__
    db.session.execute(
        insert_or_skip(HoursTotal, ["user_id", "year"]),
        [{"user_id": u, "year": y, "hours": Decimal(0)} for u, y in sums],
    )
    db.session.execute(
        sa.update(table)
        .where(table.c.user_id == sa.bindparam("u"), table.c.year == sa.bindparam("y"))
        .values(hours=table.c.hours + sa.bindparam("h")),
        [{"u": u, "y": y, "h": h} for (u, y), h in sums.items()],
    )


def hours_for_minutes(minutes: int, policy: HoursPolicy | None = None) -> Decimal:
    policy = policy or HoursPolicy.from_config()
    return (Decimal(minutes) / Decimal(policy.minutes_per_hour_unit)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def credit_offline_hours(
    member: User,
    *,
    source_kind: str,
    source_ref: str,
    minutes: int,
    actor: User | None,
    reason: str,
    occurred_on: date | None = None,
    title: str = "",
) -> HoursEntry | None:
    """Credit timed offline activity (class attendance, a 三会一课 meeting) at the 学时 conversion rate."""
    if minutes <= 0 or minutes > 24 * 60:
        raise RecordsError(_("时长须在 1–1440 分钟之间"), 422, "minutes")
    when = occurred_at_noon(occurred_on)
    entry = append_entry(
        member,
        hours=hours_for_minutes(minutes),
        source_kind=source_kind,
        source_ref=source_ref,
        actor=actor,
        reason=reason,
        occurred_at=when,
        title=title or reason,
    )
    if entry is not None:
        verb = "attended" if source_kind in ("class_attendance", "meeting") else "experienced"
        record_statement(
            member.id,
            verb,
            source_kind,
            source_ref,
            title or reason,
            {"duration": minutes * 60},
            key=f"hours-entry/{entry.id}",
            at=entry.occurred_on,
        )
        if actor is not None:
            audit.record(
                actor, f"hours.{source_kind}", entry, f"为 {member} 记录 {entry.hours} 学时：{reason}"
            )
    return entry


EARLIEST_DAY = date(2000, 1, 1)  # the records pages show years from 2000 on


def check_day(day: date, field: str) -> None:
    """Refuse a day an offline activity cannot have happened on: in the future, or before 2000."""
    if day > utcnow().astimezone(LOCAL_TZ).date():
        raise RecordsError(_("日期不能晚于今天"), 422, field)
    if day < EARLIEST_DAY:
        raise RecordsError(_("日期不能早于 %(year)s 年", year=EARLIEST_DAY.year), 422, field)


def occurred_at_noon(day: date | None) -> datetime:
    """When an offline activity of ``day`` counts: noon that day, local time (now when no day)."""
    if day is None:
        return utcnow()
    return datetime(day.year, day.month, day.day, 12, tzinfo=LOCAL_TZ).astimezone(utcnow().tzinfo)


def reverse_entry(entry: HoursEntry, reason: str, actor: User) -> HoursEntry:
    """Cancel an entry with a reversing entry: the ledger is never edited. Certificates that counted
    the entry are revoked."""
    reason = (reason or "").strip()
    if not reason:
        raise RecordsError(_("冲销必须填写原因"), 422, "reason")
    if entry.source_kind == "reversal":
        raise RecordsError(_("冲销记录不能再冲销"), 422)
    member = db.session.get(User, entry.user_id)
    reversal = append_entry(
        member,
        hours=-entry.hours,
        source_kind="reversal",
        source_ref=f"entry:{entry.id}",
        actor=actor,
        reason=reason,
        occurred_at=entry.occurred_on,  # cancels the hours in the year they were counted
        course_id=entry.course_id,
        title=f"冲销：{entry.title}",
        reverses_id=entry.id,
    )
    if reversal is None:
        raise RecordsError(_("该记录已被冲销"), 409)
    from app.records.certificates import revoke_for_entry  # certificates read these services

    revoked = revoke_for_entry(entry, reason)
    audit.record(
        actor,
        "hours.reverse",
        reversal,
        f"冲销 {member} 的学时记录 #{entry.id}：{reason}" + (f"（撤销证书 {revoked} 份）" if revoked else ""),
    )
    return reversal


#: How the hours ledger names what :func:`app.core.chains.verify_chains` finds.
WORDING = ChainWording(
    head_missing=lambda: _("账本头缺失：该成员的记录不在任何链上"),
    tail_changed=lambda entry_id: _("链尾不符：末条记录 #%(id)s 被删除或改动", id=entry_id),
    gap=lambda entry_id, n: _("记录 #%(id)s 之前缺少 %(n)s 条记录（被删除）", id=entry_id, n=n),
    inserted=lambda entry_id: _("记录 #%(id)s 的序号重复（被插入）", id=entry_id),
    broken_link=lambda entry_id: _(
        "记录 #%(id)s 与前一条记录接不上（前面有记录被删除、插入或改动）", id=entry_id
    ),
    changed=lambda entry_id: _("记录 #%(id)s 的内容被改动（哈希不符）", id=entry_id),
    all_deleted=lambda n: _("成员的 %(n)s 条记录全部缺失（被删除）", n=n),
)


def verify_ledger(batch: int = 2000) -> Iterator[ChainProblem]:
    """Walk every member's chain; yield each modified, inserted or deleted entry found, then each
    yearly total that no longer matches its entries."""
    heads = {h.user_id: h for h in db.session.scalars(sa.select(LedgerHead))}
    query = sa.select(HoursEntry).order_by(HoursEntry.user_id, HoursEntry.chain_index, HoursEntry.id)
    entries = db.session.execute(query.execution_options(yield_per=batch)).scalars()
    yield from verify_chains(entries, heads, _entry_digest, WORDING)
    yield from _verify_totals()


def _verify_totals() -> Iterator[ChainProblem]:
    """Each member's yearly total against the sum of their entries of that year."""
    sums = {
        (user_id, year): Decimal(hours)
        for user_id, year, hours in db.session.execute(
            sa.select(HoursEntry.user_id, HoursEntry.year, sa.func.sum(HoursEntry.hours)).group_by(
                HoursEntry.user_id, HoursEntry.year
            )
        )
    }
    totals = {
        (t.user_id, t.year): Decimal(t.hours)
        for t in db.session.execute(sa.select(HoursTotal.user_id, HoursTotal.year, HoursTotal.hours))
    }
    for user_id, year in sorted(sums.keys() | totals.keys()):
        summed, total = sums.get((user_id, year), Decimal(0)), totals.get((user_id, year))
        if total is None or total != summed:
            shown = _("缺失") if total is None else f"{total:.2f}"
            yield ChainProblem(
                user_id,
                None,
                _(
                    "%(year)s 年学时合计（%(total)s）与记录之和（%(sum)s）不符：合计被改动",
                    year=year,
                    total=shown,
                    sum=f"{summed:.2f}",
                ),
            )
