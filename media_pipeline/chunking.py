"""The ladder in chunks (issue 20, item 3): a long source split at its keyframes, each chunk's part
of every rung encoded by its own task, and the parts joined into one ladder.

- **Split**: cut points are source keyframes, the first at or after each multiple of the chunk
  length (a tail shorter than half a chunk joins the chunk before). A chunk is read with ``-ss``
  on the keyframe and ``-t`` to the next cut, so every source frame belongs to exactly one chunk.
- **Encode**: the same command as the single-process ladder (all encoded rungs, no poster), for
  the chunk's span only, with ``-output_ts_offset`` = the chunk's start: its packets carry the
  timestamps they have in the whole, so the joined playlists need no discontinuity.
- **Join**: each rung's playlist is the chunks' segment lists one after the other (the segment
  files hard-linked, renumbered); the master lists each rung with its highest chunk bandwidth;
  the poster and thumbnails are single frames read with input seeking (no second decode of the
  source); the MP4 fallback is then remuxed as usual (:func:`media_pipeline.transcode.finish_output`).

A chunk's folder is stored once complete (one rename on the local store; on object storage an
upload with its master playlist last, so a chunk whose master is there is whole), so a chunk that
is there is done and is never redone; the join only starts when every chunk is there. The parts live
in the store (``chunks/<asset>/<plan key>/``, :mod:`media_pipeline.services.chunks`), so the join
reaches them from any machine: it fetches the folder and joins locally.
"""

import json
import math
import os
import re
import shutil
from pathlib import Path

from flask_babel import gettext as _

from media_pipeline.ffmpeg_runner import run_ffmpeg
from media_pipeline.ladder import LadderPlan
from media_pipeline.probe import ALLOWED_DEMUXERS, MediaToolError
from media_pipeline.staging import read_entries, write_master
from media_pipeline.transcode import (
    LOG_FILE,
    MASTER_PLAYLIST,
    POSTER,
    THUMBNAIL_DIR,
    TranscodeSettings,
    encode_rungs,
)

MANIFEST = "manifest.json"
_EXTINF = re.compile(r"#EXTINF:(?P<seconds>[0-9.]+),?[^\n]*\n(?P<uri>[^#\n][^\n]*)")


def chunk_bounds(
    keyframes: list[float], duration: float, chunk_seconds: float
) -> list[tuple[float, float | None]]:
    """(start, length) of each chunk; the last one's length is ``None`` (to the end)."""
    origin = min(keyframes) if keyframes else 0.0
    times = sorted(t - origin for t in keyframes)
    cuts = [0.0]
    target = chunk_seconds
    while target < duration - chunk_seconds / 2:
        cut = next((t for t in times if t >= target), None)
        if cut is None or cut >= duration - chunk_seconds / 2:
            break
        if cut > cuts[-1]:
            cuts.append(cut)
        target = cut + chunk_seconds
    return [(start, (cuts[i + 1] - start) if i + 1 < len(cuts) else None) for i, start in enumerate(cuts)]


def manifest_text(bounds: list[tuple[float, float | None]]) -> str:
    return json.dumps({"bounds": bounds})


def parse_manifest(text: str | None) -> list[tuple[float, float | None]] | None:
    try:
        data = json.loads(text) if text is not None else None
        bounds = data["bounds"] if data is not None else None
    except (ValueError, TypeError, KeyError):
        return None
    if bounds is None:
        return None
    return [(float(start), None if length is None else float(length)) for start, length in bounds]


def chunk_name(index: int) -> str:
    return f"chunk_{index:04d}"


def chunk_dir(folder: Path, index: int) -> Path:
    return folder / chunk_name(index)


def encode_chunk(
    source: Path,
    plan: LadderPlan,
    work_dir: Path,
    settings: TranscodeSettings,
    span: tuple[float, float | None],
    on_progress=None,
) -> None:
    """Every rung of one chunk into ``work_dir`` (checked complete)."""
    encode_rungs(source, plan, work_dir, settings, None, extras=False, on_progress=on_progress, span=span)


def _segments(playlist: Path) -> list[tuple[float, str]]:
    text = playlist.read_text()
    if "#EXT-X-ENDLIST" not in text:
        raise MediaToolError(_("分段 %(name)s 不完整。", name=playlist.parent.parent.name))
    return [(float(m.group("seconds")), m.group("uri").strip()) for m in _EXTINF.finditer(text)]


def _bandwidth(attrs: str) -> int:
    found = re.search(r"(?:^|,)BANDWIDTH=(\d+)", attrs)
    return int(found.group(1)) if found else 0


def _join_rung(chunks: list[Path], name: str, out_dir: Path) -> None:
    target = out_dir / name
    target.mkdir(parents=True, exist_ok=True)
    entries: list[tuple[float, str]] = []
    for chunk in chunks:
        for seconds, uri in _segments(chunk / name / "index.m3u8"):
            segment = f"seg_{len(entries):05d}.ts"
            try:
                os.link(chunk / name / uri, target / segment)
            except OSError:
                shutil.copyfile(chunk / name / uri, target / segment)
            entries.append((seconds, segment))
    longest = max((seconds for seconds, _uri in entries), default=1.0)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{math.ceil(longest)}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    for seconds, segment in entries:
        lines += [f"#EXTINF:{seconds:.6f},", segment]
    lines.append("#EXT-X-ENDLIST")
    (target / "index.m3u8").write_text("\n".join(lines) + "\n")


def join_chunks(folder: Path, count: int, plan: LadderPlan, out_dir: Path) -> None:
    """Every rung's playlist and the master, from the chunks, into ``out_dir``."""
    chunks = [chunk_dir(folder, i) for i in range(count)]
    entries: dict[str, str] = {}
    for chunk in chunks:
        for uri, attrs in read_entries(chunk / MASTER_PLAYLIST).items():
            if uri not in entries or _bandwidth(attrs) > _bandwidth(entries[uri]):
                entries[uri] = attrs
    for name in plan.variant_names:
        _join_rung(chunks, name, out_dir)
    write_master(out_dir, plan, entries)


def _frame_command(source: Path, time: float, size: tuple[int, int], target: Path, settings, quality: int):
    return [
        settings.ffmpeg_bin,
        "-hide_banner",
        "-nostdin",
        "-y",
        "-loglevel",
        "warning",
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        ",".join(ALLOWED_DEMUXERS),
        "-ss",
        f"{time:.3f}",
        "-i",
        str(source),
        "-map",
        "0:v:0",
        "-vf",
        f"scale={size[0]}:{size[1]},setsar=1",
        "-frames:v",
        "1",
        "-q:v",
        str(quality),
        "-update",
        "1",
        str(target),
    ]


def make_extras(source: Path, plan: LadderPlan, out_dir: Path, settings: TranscodeSettings) -> None:
    """The poster and the thumbnails: one frame each, read with input seeking."""
    top = plan.renditions[plan.fallback_index or 0]
    (out_dir / THUMBNAIL_DIR).mkdir(exist_ok=True)
    frames = [(plan.poster_time, (top.width, top.height), out_dir / POSTER, 3)]
    frames += [
        (time, plan.thumbnail_size, out_dir / THUMBNAIL_DIR / f"{i:02d}.jpg", 4)
        for i, time in enumerate(plan.thumbnail_times, start=1)
    ]
    for time, size, target, quality in frames:
        argv = _frame_command(source, time, size, target, settings, quality)
        run_ffmpeg(argv, 0.0, out_dir / LOG_FILE, stall_seconds=settings.stall_seconds)
    if not (out_dir / POSTER).is_file():
        raise MediaToolError(_("ffmpeg 没有写出封面图。"))
