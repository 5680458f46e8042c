"""The media store: where originals and published outputs live, and crash-safe publishing.

Two implementations of one interface, chosen by ``MEDIA_STORAGE`` (see :func:`make_store`):

- :class:`LocalMediaStore` (``local``, the embedded default): everything under ``MEDIA_ROOT``;
- :class:`S3MediaStore` (``s3``): originals, published outputs and chunk parts in an S3-compatible
  bucket (boto3), with ``MEDIA_ROOT`` as the machine's scratch space only.

Stored things are named by keys relative to the store, the same on both (they are what the database
holds)::

    originals/<asset id>/original.ext  the file as received (kept; see the retention setting)
    assets/<asset id>/<key>/           published outputs: master.m3u8, 360p/..., fallback.mp4, poster.jpg
    chunks/<asset id>/<plan key>/      a chunked ladder's parts, kept until joined (services.chunks)

and the scratch space, always a local folder of the machine doing the work::

    uploads/<upload id>.part           resumable uploads in progress
    work/<asset id>-<nonce>/           a transcode in progress; never served
    work/<asset id>-fetch-<nonce>/     a stored file or folder made available to ffmpeg (s3)
    cache/originals/<asset id>/...     one copy of an original the chunk tasks of this machine share (s3)

A transcode writes only into its work folder. Publishing puts that folder under a new key
``assets/<id>/<time>-<nonce>`` (one ``rename`` on local; an upload of every file on s3), after which
the database row is pointed at it in one transaction: a worker killed at any moment leaves either
nothing published or a complete folder (or, on s3, part of one) that no row points to, which the
sweeper removes after its grace period, never a row pointing at a half-written folder. The original
is only ever read.

As in PeerTube's object storage (``storeObject``, ``makeAvailable``, ``listKeysOfPrefix``,
``removePrefix``), the worker never treats the bucket as a filesystem: :meth:`MediaStore.fetch_file`
and :meth:`MediaStore.fetch_folder` make a stored thing available as a local path for as long as a
``with`` block needs it (the file itself on local, a download into the scratch space on s3), and
ffmpeg works on local files only. Serving goes through :meth:`MediaStore.response`: a file response
(or an X-Accel-Redirect / X-Sendfile header) on local; on s3 playlists are read and answered by the
app (they are small) and everything else is a 302 to a presigned GET URL of the object.
"""

import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Response

_EXTENSION = re.compile(r"^\.[a-z0-9]{1,8}$")
#: What may be served from a published folder, and as what. Anything else (the ffmpeg log) is 404.
MIME_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".jpg": "image/jpeg",
}
#: Written last when a folder is uploaded: a folder whose master playlist is there is whole.
_LAST = "master.m3u8"


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _asset_of(key: str) -> str:
    """The asset id in a stored key (``originals/12/…``, ``assets/12/…``, ``chunks/12/…``)."""
    parts = key.split("/")
    return parts[1] if len(parts) > 1 and parts[1].isdigit() else "0"


class MediaStore:
    """What both stores share: the local scratch space, the key layout, and publishing."""

    #: ``True`` when stored things live elsewhere than the scratch space (downloads are needed).
    is_remote = False

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    # --- the scratch space (always local) ---------------------------------------------------------

    def upload_part(self, upload_id: str) -> Path:
        folder = self.root / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{upload_id}.part"

    def new_work_dir(self, asset_id: int) -> Path:
        folder = self.root / "work" / f"{asset_id}-{secrets.token_hex(6)}"
        folder.mkdir(parents=True)
        return folder

    def new_chunk_work_dir(self, asset_id: int, key: str, index: int | str) -> Path:
        """Where one chunk is encoded: beside the chunk parts (outside ``work/``, which a new run of
        the asset clears while chunk tasks may still be encoding)."""
        folder = self.root / "chunks" / str(asset_id) / f".{key}-{index}-{secrets.token_hex(6)}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return folder

    def work_dirs(self, asset_id: int | None = None) -> list[Path]:
        base = self.root / "work"
        if not base.is_dir():
            return []
        pattern = f"{asset_id}-*" if asset_id is not None else "*"
        return sorted(p for p in base.glob(pattern) if p.is_dir())

    def remove(self, path: Path) -> None:
        """Remove a local file or folder of the scratch space."""
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)

    # --- keys ----------------------------------------------------------------------------------------

    @staticmethod
    def original_key(asset_id: int, filename: str) -> str:
        """Where an asset's original goes: the user's file name is kept in the database only."""
        extension = Path(filename).suffix.lower()
        return f"originals/{asset_id}/original{extension if _EXTENSION.match(extension) else ''}"

    def output_dirs(self, asset_id: int) -> list[str]:
        return [f"assets/{asset_id}/{name}" for name in self.subfolders(f"assets/{asset_id}")]

    def asset_ids_with_outputs(self) -> list[int]:
        return sorted(int(name) for name in self.subfolders("assets") if name.isdigit())

    def output_file(self, output_dir: str, filename: str) -> str | None:
        """The key of ``filename`` inside a published folder, or ``None`` for anything that would
        leave it (``..``, absolute paths, backslashes, NUL) or does not exist."""
        if not filename or "\\" in filename or "\x00" in filename or filename.startswith("/"):
            return None
        if any(part in {"", ".", ".."} for part in filename.split("/")):
            return None
        key = f"{output_dir}/{filename}"
        return key if self.is_file(key) else None

    def publish(self, work_dir: Path, asset_id: int) -> str:
        """Put a finished work folder under a new output key (it is consumed); returns the key."""
        key = f"assets/{asset_id}/{int(time.time())}-{secrets.token_hex(6)}"
        self.put_folder(work_dir, key)
        return key

    def _scratch_fetch_dir(self, key: str) -> Path:
        folder = self.root / "work" / f"{_asset_of(key)}-fetch-{secrets.token_hex(6)}"
        folder.mkdir(parents=True)
        return folder

    # --- stored things: each store implements these ------------------------------------------------

    def is_file(self, key: str) -> bool:
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        """A file, or a folder holding at least one file."""
        raise NotImplementedError

    def read_text(self, key: str) -> str | None:
        raise NotImplementedError

    def write_text(self, key: str, text: str) -> None:
        """Replace a small file whole (a reader sees the old text or the new, never half)."""
        raise NotImplementedError

    def store_file(self, source: Path, key: str, *, move: bool) -> None:
        """Store a local file under ``key``; with ``move`` the local file is gone afterwards."""
        raise NotImplementedError

    @contextmanager
    def stored(self, source: Path, key: str, *, move: bool) -> Iterator[Path]:
        """``with store.stored(source, key, move=...) as path``: store a local file under ``key``,
        and a local path of it to read while the block runs (an upload's probe): the stored file on
        local; on s3 the source itself, kept until the block ends, not a download of what was just
        uploaded."""
        self.store_file(source, key, move=move)
        with self.fetch_file(key) as path:
            yield path

    def put_folder(self, folder: Path, key: str) -> None:
        """Store a finished local folder under ``key`` (consumed); the master playlist comes last.
        :class:`FileExistsError` when a whole folder is there already."""
        raise NotImplementedError

    def fetch_file(self, key: str, *, shared: bool = False):
        """``with store.fetch_file(key) as path``: the stored file as a local path. ``shared``: many
        tasks of this machine read it (a chunked ladder's original, once per chunk), so one copy is
        kept for them all rather than one download each."""
        raise NotImplementedError

    def fetch_folder(self, key: str):
        """``with store.fetch_folder(key) as path``: the stored folder as a local folder (a missing
        one is a path that is not a folder, or an empty folder)."""
        raise NotImplementedError

    def subfolders(self, key: str) -> list[str]:
        raise NotImplementedError

    def age_seconds(self, key: str) -> float | None:
        """Seconds since a file or folder was last written; ``None`` when it is not there."""
        raise NotImplementedError

    def delete(self, key: str) -> None:
        """Remove a file or a whole folder (no error when it is not there)."""
        raise NotImplementedError

    def claim(self, key: str) -> bool:
        """Create an empty marker unless it exists: ``True`` for the one caller that created it."""
        raise NotImplementedError

    def location(self, key: str) -> str:
        """Where an operator finds a stored thing (a path, or an ``s3://`` URL)."""
        raise NotImplementedError

    def check_ready(self) -> None:
        """Raise when the store cannot be used (the readiness probe)."""
        raise NotImplementedError

    def check_scratch(self) -> None:
        """The root, or (before its first use creates it) the nearest folder above it, is writable:
        uploads and transcodes need it on either store."""
        folder = self.root.resolve()
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise OSError("MEDIA_ROOT is not a writable folder")

    def response(
        self, key: str, *, max_age: int, serve_mode: str = "direct", accel_prefix: str = ""
    ) -> Response:
        """The answer to a request for a published file (after the access checks)."""
        raise NotImplementedError
