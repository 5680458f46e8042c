"""Files the courses domain keeps itself: cover images, PDF lessons, homework attachments.

Video and audio go through the media pipeline; these small files are stored under
``MEDIA_ROOT/courses/<kind>/`` with random names (the user's file name is kept in the database
only), streamed to disk in blocks with the size checked as they arrive, and served by the courses
blueprint after its own access check.
"""

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _

from app.core.errors import DomainError

_BLOCK = 256 * 1024

#: First bytes of the formats accepted where the content matters (the browser shows them).
SIGNATURES = {
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "webp": (b"RIFF",),
    "pdf": (b"%PDF-",),
    "vtt": (b"WEBVTT", b"\xef\xbb\xbfWEBVTT"),
}
COVER_EXTENSIONS = ("jpg", "jpeg", "png", "webp")
MIME_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "pdf": "application/pdf",
}


class FileRefused(DomainError):
    """An upload refused (422), with a message in the user's language."""


@dataclass(frozen=True)
class StoredFile:
    relative: str
    name: str
    size: int


def _root() -> Path:
    return Path(current_app.config["MEDIA_ROOT"])


def absolute(relative: str) -> Path:
    return _root() / relative


def extension_of(filename: str) -> str:
    return Path(filename or "").suffix.lower().lstrip(".")


def _human(size: int) -> str:
    return f"{size / 1024**2:.0f} MB" if size >= 1024**2 else f"{size / 1024:.0f} KB"


def store_upload(
    stream: BinaryIO, filename: str, kind: str, *, extensions: tuple[str, ...], max_bytes: int
) -> StoredFile:
    """Save ``stream`` as a new file of ``kind`` ("covers", "documents", "homework")."""
    filename = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:255]
    extension = extension_of(filename)
    if not filename:
        raise FileRefused(_("请选择文件。"))
    if extension not in extensions:
        raise FileRefused(
            _(
                "不支持的文件类型（.%(extension)s），只接受：%(allowed)s。",
                extension=extension or _("无扩展名"),
                allowed="、".join(extensions),
            )
        )
    folder = _root() / "courses" / kind
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{secrets.token_hex(12)}.{extension}"
    size = 0
    head = b""
    try:
        with target.open("wb") as out:
            while block := stream.read(_BLOCK):
                size += len(block)
                if size > max_bytes:
                    raise FileRefused(_("文件超过大小上限 %(size)s。", size=_human(max_bytes)))
                if len(head) < 16:
                    head += block[:16]
                out.write(block)
        if size == 0:
            raise FileRefused(_("文件是空的，请重新选择。"))
        signatures = SIGNATURES.get(extension)
        if signatures and not head.startswith(signatures):
            raise FileRefused(_("文件内容不是有效的 .%(extension)s 文件。", extension=extension))
        if extension == "webp" and head[8:12] != b"WEBP":
            raise FileRefused(_("文件内容不是有效的 .webp 图片。"))
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return StoredFile(relative=target.relative_to(_root()).as_posix(), name=filename, size=size)


def remove(relative: str | None) -> None:
    if relative:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(absolute(relative))
