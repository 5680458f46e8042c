"""Small files people upload (cover images, PDF attachments, homework): one way to take them in.

The upload is streamed to disk in blocks, its size checked as the blocks arrive (a file over the limit
is never held in memory nor kept on disk), and its kind recognised by its first bytes, not by its
name. The file follows the database: it is removed when the transaction that was to record it rolls
back, and a file it replaces is removed only once that transaction has committed.

Each domain keeps its own folder, names its own refusals and checks what it accepts:
``kind_of(head)`` receives the first :data:`HEAD_BYTES` bytes and answers the extension to store the
file under, or ``None`` to refuse it.
"""

import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.core.transactions import on_transaction_end

logger = logging.getLogger(__name__)

BLOCK_BYTES = 256 * 1024
#: How much of the start of a file ``kind_of`` sees (enough for every signature we check).
HEAD_BYTES = 16

EMPTY, TOO_LARGE, WRONG_KIND = "empty", "too_large", "wrong_kind"


class UploadRefused(ValueError):
    """An upload not kept: ``reason`` is :data:`EMPTY`, :data:`TOO_LARGE` or :data:`WRONG_KIND`; the
    caller words it for its own form (``max_bytes`` is there for the size message)."""

    def __init__(self, reason: str, max_bytes: int):
        super().__init__(reason)
        self.reason, self.max_bytes = reason, max_bytes


@dataclass(frozen=True)
class SavedUpload:
    path: Path
    size: int

    @property
    def name(self) -> str:
        """The stored file's name (random), as rows keep it."""
        return self.path.name


def save_upload(
    stream: BinaryIO,
    folder: Path,
    *,
    max_bytes: int,
    kind_of: Callable[[bytes], str | None],
    follow_transaction: bool = True,
) -> SavedUpload:
    """Stream ``stream`` into a new, randomly named file in ``folder``.

    Refusals are checked in the order a person can fix them: too large, empty, wrong kind. With
    ``follow_transaction`` the file is removed if the caller's transaction rolls back.
    """
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"{secrets.token_hex(16)}.part"
    size, head = 0, b""
    try:
        with partial.open("wb") as out:
            while block := stream.read(BLOCK_BYTES):
                size += len(block)
                if size > max_bytes:
                    raise UploadRefused(TOO_LARGE, max_bytes)
                if len(head) < HEAD_BYTES:
                    head += block[: HEAD_BYTES - len(head)]
                out.write(block)
        if size == 0:
            raise UploadRefused(EMPTY, max_bytes)
        extension = kind_of(head)
        if not extension:
            raise UploadRefused(WRONG_KIND, max_bytes)
        target = partial.with_suffix(f".{extension.lstrip('.')}")
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    if follow_transaction:
        on_transaction_end(on_rollback=lambda: remove_files([target]))
    return SavedUpload(path=target, size=size)


def remove_files(paths: Iterable[Path]) -> None:
    """Remove files now; one that is already gone is fine, one that cannot be removed is logged."""
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            logger.warning("could not remove uploaded file %s", path)


def remove_after_commit(paths: Iterable[Path]) -> None:
    """Remove files once the caller's transaction has committed (a replaced cover, a deleted row's
    attachment): on a rollback the row still points at them, so they stay."""
    paths = list(paths)
    if paths:
        on_transaction_end(on_commit=lambda: remove_files(paths))
