"""Hash-chained, append-only ledgers (the 学时 ledger in records, the 积分 ledger in quiz): how an
entry's hash is made, how an entry is linked after its member's head, how every chain is walked to
name what was changed, inserted or deleted, and what the verify commands (``flask records verify``,
``flask points verify``) print.

Each member has a chain: every entry stores its position (``chain_index``, from 1), the hash of the
entry before it (``prev_hash``, :data:`GENESIS_HASH` for the first) and its own hash over
``prev_hash`` and its fields (:func:`chain_digest`). The member's head row holds the last entry's
id and hash and the chain's length, so a deleted tail is seen. Which fields, in which spelling,
and the messages naming a problem are each ledger's own; the rules are shared here, so that both
ledgers name tampering alike.
"""

import hashlib
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import click
from flask_babel import gettext as _

#: The ``prev_hash`` of a chain's first entry.
GENESIS_HASH = "0" * 64


def chain_digest(prev_hash: str, fields: Sequence[str]) -> str:
    """The hash of one entry: SHA-256 over ``prev_hash`` and the entry's fields, joined by the
    unit separator. Stored hashes were made this way; neither the join nor the encoding may change."""
    return hashlib.sha256("\x1f".join([prev_hash, *fields]).encode()).hexdigest()


class ChainedEntry(Protocol):
    id: int
    user_id: int
    chain_index: int | None
    prev_hash: str | None
    hash: str | None


class ChainHead(Protocol):
    last_entry_id: int | None
    last_hash: str
    length: int


Digest = Callable[[str, ChainedEntry], str]


def link(entry: ChainedEntry, head: ChainHead, digest: Digest) -> None:
    """Give ``entry`` its place after ``head`` (the caller holds the head's lock) and its hash."""
    entry.chain_index = head.length + 1
    entry.prev_hash = head.last_hash
    entry.hash = digest(head.last_hash, entry)


# --- verification -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainProblem:
    user_id: int
    entry_id: int | None
    message: str


@dataclass(frozen=True)
class ChainWording:
    """How a ledger names each kind of problem (called while walking, so translated then)."""

    #: The member has entries but no head.
    head_missing: Callable[[], str]
    #: The head points at an entry that is not the chain's last (``entry_id``): a tail deleted or changed.
    tail_changed: Callable[[int | None], str]
    #: ``n`` entries are missing before ``entry_id``.
    gap: Callable[[int, int], str]
    #: ``entry_id`` repeats a position (an entry was inserted).
    inserted: Callable[[int], str]
    #: ``entry_id`` does not follow the entry before it.
    broken_link: Callable[[int], str]
    #: ``entry_id``'s fields no longer give its hash.
    changed: Callable[[int], str]
    #: The head counts ``n`` entries and none is left.
    all_deleted: Callable[[int], str]


def verify_chains(
    entries: Iterable[ChainedEntry],
    heads: Mapping[int, ChainHead],
    digest: Digest,
    wording: ChainWording,
) -> Iterator[ChainProblem]:
    """Walk every member's chain and yield each entry changed, inserted or deleted.

    ``entries`` come ordered by member, position and id (streamed: a ledger's whole table need not
    fit in memory); ``heads`` are the members' head rows by member id."""
    seen: set[int] = set()
    current, prev_hash, expected, last = None, GENESIS_HASH, 1, None

    def close(user_id: int, last_entry: ChainedEntry | None) -> Iterator[ChainProblem]:
        head = heads.get(user_id)
        if head is None:
            yield ChainProblem(user_id, None, wording.head_missing())
        elif last_entry is None or head.last_entry_id != last_entry.id or head.last_hash != last_entry.hash:
            yield ChainProblem(user_id, head.last_entry_id, wording.tail_changed(head.last_entry_id))

    for entry in entries:
        if entry.user_id != current:
            if current is not None:
                yield from close(current, last)
            current, prev_hash, expected, last = entry.user_id, GENESIS_HASH, 1, None
            seen.add(entry.user_id)
        if entry.chain_index is None or entry.chain_index < expected:
            yield ChainProblem(entry.user_id, entry.id, wording.inserted(entry.id))
        elif entry.chain_index > expected:
            yield ChainProblem(entry.user_id, entry.id, wording.gap(entry.id, entry.chain_index - expected))
        if entry.prev_hash != prev_hash:
            yield ChainProblem(entry.user_id, entry.id, wording.broken_link(entry.id))
        if entry.chain_index is None or not entry.hash or digest(entry.prev_hash or "", entry) != entry.hash:
            yield ChainProblem(entry.user_id, entry.id, wording.changed(entry.id))
        prev_hash, expected, last = entry.hash, (entry.chain_index or expected) + 1, entry
    if current is not None:
        yield from close(current, last)
    for user_id, head in heads.items():
        if user_id not in seen and head.length > 0:
            yield ChainProblem(user_id, head.last_entry_id, wording.all_deleted(head.length))


# --- the verify commands ------------------------------------------------------------------------


def echo_chain_problems(
    problems: Iterable,
    entry_label: Callable[[int], str],
    failed: Callable[[int], str],
    intact: str,
) -> None:
    """Print each problem (``user_id``, ``entry_id``, ``message``) to stderr and exit 1 if there was
    any; otherwise print ``intact``."""
    count = 0
    for problem in problems:
        count += 1
        target = entry_label(problem.entry_id) if problem.entry_id else _("（无记录号）")
        click.echo(
            _(
                "成员 %(id)s %(target)s: %(message)s",
                id=problem.user_id,
                target=target,
                message=problem.message,
            ),
            err=True,
        )
    if count:
        click.echo(failed(count), err=True)
        sys.exit(1)
    click.echo(intact)
