"""The local store: everything in one folder (``MEDIA_STORAGE=local``, the embedded default)."""

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from flask import Response, send_file

from media_pipeline.storage.base import MIME_TYPES, MediaStore, _fsync_dir


class LocalMediaStore(MediaStore):
    """Everything in one local folder (one filesystem, so that ``rename`` is atomic)."""

    def path(self, key: str) -> Path:
        """The absolute path of a key (a path stored in the database, relative to the root)."""
        return self.root / key

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def is_file(self, key: str) -> bool:
        return self.path(key).is_file()

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def read_text(self, key: str) -> str | None:
        try:
            return self.path(key).read_text()
        except OSError:
            return None

    def write_text(self, key: str, text: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, target)

    def store_file(self, source: Path, key: str, *, move: bool) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if move:
            os.replace(source, target)
        else:
            shutil.copyfile(source, target)  # streams in blocks

    def put_folder(self, folder: Path, key: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(folder, target)  # one atomic step: the folder is there whole or not at all
        except OSError as exc:
            if target.exists():
                raise FileExistsError(key) from exc
            raise
        _fsync_dir(target.parent)

    @contextmanager
    def fetch_file(self, key: str, *, shared: bool = False) -> Iterator[Path]:
        yield self.path(key)

    @contextmanager
    def fetch_folder(self, key: str) -> Iterator[Path]:
        yield self.path(key)

    def subfolders(self, key: str) -> list[str]:
        base = self.path(key)
        return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []

    def age_seconds(self, key: str) -> float | None:
        try:
            return time.time() - self.path(key).stat().st_mtime
        except OSError:
            return None

    def delete(self, key: str) -> None:
        if key:
            self.remove(self.path(key))

    def claim(self, key: str) -> bool:
        try:
            self.path(key).mkdir()
        except FileExistsError:
            return False
        return True

    def location(self, key: str) -> str:
        return str(self.path(key))

    def check_ready(self) -> None:
        self.check_scratch()

    def response(
        self, key: str, *, max_age: int, serve_mode: str = "direct", accel_prefix: str = ""
    ) -> Response:
        """Range requests get 206 (Werkzeug's conditional responses), or nginx / Apache send the
        bytes in the X-Accel-Redirect / X-Sendfile modes."""
        mimetype = MIME_TYPES[PurePosixPath(key).suffix.lower()]
        if serve_mode == "x-accel-redirect":
            response = Response(mimetype=mimetype)
            response.headers["X-Accel-Redirect"] = quote(f"{accel_prefix.rstrip('/')}/{key}")
        elif serve_mode == "x-sendfile":
            response = Response(mimetype=mimetype)
            response.headers["X-Sendfile"] = str(self.path(key))
        else:
            response = send_file(self.path(key), mimetype=mimetype, conditional=True, etag=True, max_age=3600)
        return response
