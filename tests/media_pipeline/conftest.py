"""Media fixtures made with ffmpeg's lavfi sources, once per session and only when a test asks.

Short (2-4 s) and small, so that the whole media suite stays within a couple of minutes on two cores.
"""

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from app.extensions import db
from media_pipeline import services

FFMPEG = ["ffmpeg", "-v", "error", "-nostdin", "-y"]
SINE = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration={d}"]


def _video(size: str, duration: float, rate: int = 25) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={duration}"]


def _x264(*extra: str) -> list[str]:
    return ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", *extra]


#: name -> ffmpeg arguments after the common prefix (the output path is appended).
RECIPES: dict[str, list[str]] = {
    "landscape.mp4": [
        *_video("1280x720", 3, 30),
        *[a.format(d=3) for a in SINE],
        *_x264(),
        "-c:a",
        "aac",
        "-shortest",
    ],
    "portrait.mp4": [
        *_video("540x960", 3),
        *[a.format(d=3) for a in SINE],
        *_x264(),
        "-c:a",
        "aac",
        "-shortest",
    ],
    "no_audio.mp4": [*_video("640x360", 2), *_x264()],
    "tiny.3gp": [
        *_video("176x144", 2, 15),
        *[a.format(d=2) for a in SINE],
        *_x264(),
        "-c:a",
        "aac",
        "-ac",
        "1",
        "-ar",
        "22050",
        "-shortest",
    ],
    "vfr.webm": [
        *_video("640x360", 3, 30),
        *[a.format(d=3) for a in SINE],
        # drop every 3rd and 7th frame: timestamps stay, so the frame rate varies
        "-vf",
        "select='not(eq(mod(n\\,3)\\,1))*not(eq(mod(n\\,7)\\,2))'",
        "-fps_mode",
        "vfr",
        "-c:v",
        "libvpx-vp9",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-b:v",
        "300k",
        "-c:a",
        "libopus",
        "-shortest",
    ],
    "hevc.mov": [
        *_video("640x360", 2),
        *[a.format(d=2) for a in SINE],
        "-c:v",
        "libx265",
        "-preset",
        "ultrafast",
        "-x265-params",
        "log-level=error",
        "-tag:v",
        "hvc1",
        "-c:a",
        "aac",
        "-shortest",
    ],
    "hdr10bit.mov": [
        *_video("640x360", 2),
        *[a.format(d=2) for a in SINE],
        "-c:v",
        "libx265",
        "-preset",
        "ultrafast",
        "-x265-params",
        "log-level=error",
        "-pix_fmt",
        "yuv420p10le",
        "-color_primaries",
        "bt2020",
        "-color_trc",
        "arib-std-b67",
        "-colorspace",
        "bt2020nc",
        "-tag:v",
        "hvc1",
        "-c:a",
        "aac",
        "-shortest",
    ],
    "too_long.mp4": ["-f", "lavfi", "-i", "color=c=gray:size=64x64:rate=2:duration=25", *_x264()],
    "absurd.mkv": ["-f", "lavfi", "-i", "color=c=gray:size=9000x32:rate=5:duration=1", "-c:v", "ffv1"],
    "subtitles_only.mkv": None,  # built by _subtitles_only
    "audio_only.mp3": None,  # built by _audio_only (with a cover picture, which is no video)
    "rotated.mp4": None,  # built by _rotated
    "truncated.mp4": None,  # built by _truncated (index first, media cut off: headers look whole)
    "truncated_moov_last.mp4": None,
    "empty.mp4": None,
    "pdf_renamed.mp4": None,
    "zip_renamed.mp4": None,
    "random.mp4": None,
}


def _run(argv: list[str]) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=120)


class MediaFiles:
    """``media_files.get("portrait.mp4")`` → the path, generated on first use."""

    def __init__(self, folder: Path):
        self.folder = folder

    def get(self, name: str) -> Path:
        path = self.folder / name
        if path.exists():
            return path
        recipe = RECIPES[name]
        if recipe is not None:
            _run([*FFMPEG, *recipe, str(path)])
        else:
            getattr(self, "_" + name.split(".")[0])(path)
        return path

    def _subtitles_only(self, path: Path) -> None:
        srt = self.folder / "captions.srt"
        srt.write_text(
            "1\n00:00:00,000 --> 00:00:02,000\n不忘初心\n\n2\n00:00:02,000 --> 00:00:04,000\n牢记使命\n"
        )
        _run([*FFMPEG, "-i", str(srt), "-c:s", "srt", str(path)])

    def _audio_only(self, path: Path) -> None:
        cover = self.folder / "cover.jpg"
        _run([*FFMPEG, "-f", "lavfi", "-i", "color=c=red:size=300x300", "-frames:v", "1", str(cover)])
        _run(
            [
                *FFMPEG,
                *[a.format(d=3) for a in SINE],
                "-i",
                str(cover),
                "-map",
                "0",
                "-map",
                "1",
                "-c:a",
                "libmp3lame",
                "-b:a",
                "96k",
                "-c:v",
                "mjpeg",
                "-disposition:v",
                "attached_pic",
                str(path),
            ]
        )

    def _rotated(self, path: Path) -> None:
        """1280x720 as coded, red on top and blue below, with a 90° display matrix (a phone held
        upright): players show it 720x1280 with red on the left."""
        coded = self.folder / "rotated_coded.mp4"
        _run(
            [
                *FFMPEG,
                "-f",
                "lavfi",
                "-i",
                "color=c=red:size=1280x360:rate=25:duration=2",
                "-f",
                "lavfi",
                "-i",
                "color=c=blue:size=1280x360:rate=25:duration=2",
                *[a.format(d=2) for a in SINE],
                "-filter_complex",
                "[0:v][1:v]vstack[v]",
                "-map",
                "[v]",
                "-map",
                "2:a",
                *_x264(),
                "-c:a",
                "aac",
                "-shortest",
                str(coded),
            ]
        )
        _run([*FFMPEG, "-i", str(coded), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(path)])

    def _truncated(self, path: Path) -> None:
        whole = self.folder / "whole_faststart.mp4"
        _run(
            [
                *FFMPEG,
                *_video("640x360", 4),
                *[a.format(d=4) for a in SINE],
                *_x264(),
                "-c:a",
                "aac",
                "-shortest",
                "-movflags",
                "+faststart",
                str(whole),
            ]
        )
        data = whole.read_bytes()
        path.write_bytes(data[: len(data) // 2])

    def _truncated_moov_last(self, path: Path) -> None:
        data = self.get("no_audio.mp4").read_bytes()
        path.write_bytes(data[: len(data) * 2 // 3])

    def _empty(self, path: Path) -> None:
        path.write_bytes(b"")

    def _pdf_renamed(self, path: Path) -> None:
        path.write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n" * 50)

    def _zip_renamed(self, path: Path) -> None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("课件.txt", "学习资料" * 500)

    def _random(self, path: Path) -> None:
        import random

        path.write_bytes(random.Random(7).randbytes(64 * 1024))


@pytest.fixture(scope="session")
def media_files(tmp_root) -> MediaFiles:
    folder = tmp_root / "media-fixtures"
    folder.mkdir(exist_ok=True)
    return MediaFiles(folder)


def ffprobe(path: Path, *entries: str) -> dict:
    argv = [
        "ffprobe",
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        *entries,
        str(path),
    ]
    return json.loads(subprocess.run(argv, check=True, capture_output=True, timeout=60).stdout)


@pytest.fixture
def no_queue(monkeypatch):
    """Record what would be queued instead of running it (eager Celery would transcode inline)."""
    queued: list[int] = []
    monkeypatch.setattr("media_pipeline.tasks.queue_asset", queued.append)
    monkeypatch.setattr("media_pipeline.views.queue_asset", queued.append)
    monkeypatch.setattr("app.api.media.queue_asset", queued.append)
    monkeypatch.setattr("media_pipeline.cli.queue_asset", queued.append)
    return queued


@pytest.fixture
def ingest(media_files):
    """``ingest(name, owner=None)`` → an asset admitted (probed) but not processed."""

    def admit(name: str, owner=None):
        return services.ingest_file(
            media_files.get(name),
            name,
            owner,
            owner,
            move=False,
            commit=db.session.commit,
            enqueue=lambda _id: None,
        )

    return admit


@pytest.fixture
def processed(ingest):
    """``processed(name, owner=None)`` → an asset run through the whole pipeline in this process."""

    def run(name: str, owner=None):
        asset = ingest(name, owner)
        outcome = services.process_asset(asset.id, holder="test", commit=db.session.commit)
        return outcome, db.session.get(type(asset), asset.id, populate_existing=True)

    return run
