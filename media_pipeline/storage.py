"""The media store on disk, and crash-safe publishing.

Layout under ``MEDIA_ROOT`` (one filesystem, so that ``rename`` is atomic)::

    uploads/<upload id>.part         resumable uploads in progress
    originals/<asset id>/original.ext the file as received (kept; see the retention setting)
    work/<asset id>-<nonce>/          a transcode in progress; never served
    assets/<asset id>/<key>/          published outputs: master.m3u8, 360p/..., fallback.mp4, poster.jpg

A transcode writes only into its work folder. Publishing is one ``rename`` of that folder into
``assets/<id>/<new key>``, after which the database row is pointed at it: a worker killed at any
moment leaves either nothing published or a complete folder no row points to (which the sweeper
removes), never a half-written one. The original is only ever read.
"""

import os
import re
import secrets
import shutil
import time
from pathlib import Path

from werkzeug.security import safe_join

_EXTENSION = re.compile(r"^\.[a-z0-9]{1,8}$")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class MediaStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    # --- locations --------------------------------------------------------------------------------

    def path(self, relative: str) -> Path:
        """The absolute path of a path stored in the database (relative to the root)."""
        return self.root / relative

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def upload_part(self, upload_id: str) -> Path:
        folder = self.root / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{upload_id}.part"

    def original_for(self, asset_id: int, filename: str) -> Path:
        """Where an asset's original goes: the user's file name is kept in the database only."""
        extension = Path(filename).suffix.lower()
        folder = self.root / "originals" / str(asset_id)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"original{extension if _EXTENSION.match(extension) else ''}"

    def new_work_dir(self, asset_id: int) -> Path:
        folder = self.root / "work" / f"{asset_id}-{secrets.token_hex(6)}"
        folder.mkdir(parents=True)
        return folder

    def work_dirs(self, asset_id: int | None = None) -> list[Path]:
        base = self.root / "work"
        if not base.is_dir():
            return []
        pattern = f"{asset_id}-*" if asset_id is not None else "*"
        return sorted(p for p in base.glob(pattern) if p.is_dir())

    def output_dirs(self, asset_id: int) -> list[Path]:
        base = self.root / "assets" / str(asset_id)
        return sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []

    def asset_ids_with_outputs(self) -> list[int]:
        base = self.root / "assets"
        return sorted(int(p.name) for p in base.iterdir() if p.name.isdigit()) if base.is_dir() else []

    def resolve_output(self, output_dir: str, filename: str) -> Path | None:
        """``filename`` inside a published folder, or ``None`` for anything that would leave it
        (``..``, absolute paths, backslashes, NUL) or does not exist."""
        if not filename or "\\" in filename or "\x00" in filename or filename.startswith("/"):
            return None
        if any(part in {"", ".", ".."} for part in filename.split("/")):
            return None
        joined = safe_join(str(self.path(output_dir)), filename)
        if joined is None:
            return None
        path = Path(joined)
        return path if path.is_file() else None

    # --- changes ----------------------------------------------------------------------------------

    def publish(self, work_dir: Path, asset_id: int) -> str:
        """Move a finished work folder into place in one atomic rename; returns its relative path."""
        target_parent = self.root / "assets" / str(asset_id)
        target_parent.mkdir(parents=True, exist_ok=True)
        target = target_parent / f"{int(time.time())}-{secrets.token_hex(6)}"
        os.rename(work_dir, target)
        _fsync_dir(target_parent)
        return self.relative(target)

    def remove(self, path: Path) -> None:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)

    def remove_relative(self, relative: str | None) -> None:
        if relative:
            self.remove(self.path(relative))
