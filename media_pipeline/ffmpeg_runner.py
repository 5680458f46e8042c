"""Running ffmpeg under supervision: its progress read from its stdout, a stall or any exception
(a Celery time limit included) ends it, it dies with its worker (even by SIGKILL), and its exit is
told apart as the machine's fault (worth a retry) or the input's (not).

Every ffmpeg run of the pipeline (the ladder in :mod:`media_pipeline.transcode`, the copied top rung
in :mod:`media_pipeline.copyable`, a chunk's encode in :mod:`media_pipeline.chunking`) goes
through :func:`run_ffmpeg`; stderr goes to a log file, so a chatty ffmpeg never blocks on a full pipe.
"""

import contextlib
import ctypes
import logging
import select
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from flask_babel import gettext as _

from media_pipeline.probe import MediaInputError, MediaToolError

logger = logging.getLogger(__name__)

#: Words in ffmpeg's log that say the machine, not the file, failed: the job is retried.
_TRANSIENT = ("no space left on device", "cannot allocate memory", "resource temporarily unavailable")

#: ffmpeg's global options for every run: no prompt, only warnings logged, progress as key=value lines
#: on stdout for :func:`run_ffmpeg` to read.
QUIET_WITH_PROGRESS = (
    "-hide_banner",
    "-nostdin",
    "-y",
    "-loglevel",
    "warning",
    "-nostats",
    "-progress",
    "pipe:1",
)


def _die_with_parent() -> None:
    """In the ffmpeg child: be killed when the worker process dies, even by SIGKILL."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _log_tail(path: Path, size: int = 4000) -> str:
    try:
        with path.open("rb") as log:
            log.seek(0, 2)
            log.seek(max(0, log.tell() - size))
            return log.read().decode("utf-8", "replace")
    except OSError:
        return ""


def run_ffmpeg(
    argv: list[str],
    duration: float,
    log_path: Path,
    on_progress: Callable[[float], None] | None = None,
    stall_seconds: float = 300.0,
) -> None:
    """Run ffmpeg to the end, calling ``on_progress(fraction)`` as it reports; kill it on a stall,
    on any exception (a Celery time limit included) and never leave it running."""
    with log_path.open("ab") as log:
        try:
            process = subprocess.Popen(
                argv,
                stdout=subprocess.PIPE,
                stderr=log,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )
        except OSError as exc:
            raise MediaToolError(_("无法运行 ffmpeg：%(strerror)s", strerror=exc.strerror)) from exc
    try:
        last_report = time.monotonic()
        buffer = b""
        while True:
            ready, _writable, _errored = select.select([process.stdout], [], [], 1.0)
            if ready:
                chunk = process.stdout.read1(65536)
                if not chunk:
                    break
                last_report = time.monotonic()
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    key, _sep, value = line.decode("ascii", "replace").strip().partition("=")
                    if key == "out_time_us" and value.lstrip("-").isdigit() and on_progress and duration > 0:
                        on_progress(min(1.0, max(0.0, int(value) / 1e6 / duration)))
            elif time.monotonic() - last_report > stall_seconds:
                raise MediaToolError(
                    _("ffmpeg 超过 %(seconds)s 秒没有进展，已终止。", seconds=int(stall_seconds))
                )
        returncode = process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
    if returncode != 0:
        tail = _log_tail(log_path)
        logger.warning("ffmpeg exited with %s: %s", returncode, tail[-1500:])
        if returncode < 0 or any(marker in tail.lower() for marker in _TRANSIENT):
            raise MediaToolError(_("ffmpeg 异常退出（%(returncode)s）。", returncode=returncode))
        raise MediaInputError(_("转码失败：文件中的音视频数据无法解码，文件可能已损坏。"))
