"""The ladder in chunks (issue 20, item 3): a long source split at its keyframes, each chunk's part
of every rung encoded by its own task, and the parts joined into one ladder.

- **Split**: cut points are source keyframes, the first at or after each multiple of the chunk
  length (a tail shorter than half a chunk joins the chunk before). A chunk is read with ``-ss``
  on the keyframe and ``-t`` to the next cut, so every source frame belongs to exactly one chunk.
- **Encode**: the same command as the single-process ladder (all encoded rungs, no poster), for
  the chunk's span only, with ``-output_ts_offset`` = the chunk's start: its packets carry the
  timestamps they have in the whole, so the joined playlists need no discontinuity.
- **Audio once**: the source's sound is encoded once, whole, when the source is split
  (:func:`encode_audio`), and cut at the chunks' bounds between AAC frames (:func:`slice_audio`);
  each chunk copies its slice. Encoded per chunk, every cut started with the encoder's priming frame
  laid over the end of the chunk before (20–40 ms of overlapping sound, a click every minute).
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
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _

from media_pipeline.ffmpeg_runner import QUIET_WITH_PROGRESS, run_ffmpeg
from media_pipeline.ladder import AUDIO_SAMPLE_RATE, LadderPlan
from media_pipeline.probe import INPUT_GUARDS, MediaToolError
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
#: The folder of the chunks' audio slices, beside the chunk parts.
AUDIO_DIR = "audio"
#: Samples in one AAC frame, and the priming delay of ffmpeg's AAC encoder (one frame): the frame
#: written at position i holds the sound of samples (i - 1) × 1024 onwards.
AAC_FRAME_SAMPLES = 1024
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


@dataclass(frozen=True)
class Split:
    """How a source was split: ``(start, length)`` of each chunk (the last one's length ``None``:
    to the end), and where each chunk's audio slice starts relative to the chunk's start (``None``
    when each chunk encodes its own sound: a source without audio, or a split made before)."""

    bounds: list[tuple[float, float | None]]
    audio_offsets: list[float] | None = None


def manifest_text(split: Split) -> str:
    return json.dumps({"bounds": split.bounds, "audio": split.audio_offsets})


def parse_manifest(text: str | None) -> Split | None:
    try:
        data = json.loads(text) if text is not None else None
        bounds = data["bounds"] if data is not None else None
        offsets = data.get("audio") if data is not None else None
        if bounds is None:
            return None
        parsed = [(float(start), None if length is None else float(length)) for start, length in bounds]
        audio = [float(o) for o in offsets] if offsets is not None else None
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return Split(parsed, audio if audio is not None and len(audio) == len(parsed) else None)


def chunk_name(index: int) -> str:
    return f"chunk_{index:04d}"


def chunk_dir(folder: Path, index: int) -> Path:
    return folder / chunk_name(index)


def audio_slice_name(index: int) -> str:
    return f"{chunk_name(index)}.aac"


def encode_audio(source: Path, plan: LadderPlan, target: Path, settings: TranscodeSettings) -> None:
    """The source's whole sound as ADTS AAC, as every rung carries it, starting at the source's
    start (a late first sample is preceded by silence, so that slice times are source times)."""
    argv = [
        settings.ffmpeg_bin,
        *QUIET_WITH_PROGRESS,
        *INPUT_GUARDS,
        *("-i", str(source), "-map", f"0:{plan.audio_index}", "-vn", "-sn", "-dn"),
        *("-af", "aresample=async=1:first_pts=0"),
        *("-c:a", "aac", "-b:a", str(plan.audio_bitrate), "-ac", "2", "-ar", str(AUDIO_SAMPLE_RATE)),
        *("-f", "adts", str(target)),
    ]
    run_ffmpeg(argv, plan.duration, target.parent / LOG_FILE, stall_seconds=settings.stall_seconds)


def adts_frames(data: bytes) -> list[int]:
    """Byte offset of every ADTS frame of ``data`` (ffmpeg writes one 1,024-sample block a frame)."""
    offsets, position = [], 0
    while position < len(data):
        header = data[position : position + 7]
        if len(header) < 7 or header[0] != 0xFF or header[1] & 0xF6 != 0xF0 or header[6] & 0x03:
            raise MediaToolError(_("音频分段失败。"))
        length = ((header[3] & 0x03) << 11) | (header[4] << 3) | (header[5] >> 5)
        if length < 7:
            raise MediaToolError(_("音频分段失败。"))
        offsets.append(position)
        position += length
    return offsets


def slice_audio(whole: Path, bounds: list[tuple[float, float | None]], out_dir: Path) -> list[float]:
    """Cut ``whole`` (see :func:`encode_audio`) between frames into one slice per chunk: a frame goes
    to the chunk its first sample falls in, so the slices hold every frame once. Returns where each
    slice starts relative to its chunk's start (the first: the priming frame, one frame early)."""
    data = whole.read_bytes()
    offsets = adts_frames(data)
    frame = AAC_FRAME_SAMPLES / AUDIO_SAMPLE_RATE
    # The first frame whose sound starts at or after each chunk's start (frame i starts at (i-1)×frame).
    firsts = [0] + [min(len(offsets), math.ceil(start / frame - 1e-9) + 1) for start, _ in bounds[1:]]
    ends = [*firsts[1:], len(offsets)]
    out_dir.mkdir(parents=True, exist_ok=True)
    starts = []
    for index, (first, end) in enumerate(zip(firsts, ends, strict=True)):
        low = offsets[first] if first < len(offsets) else len(data)
        high = offsets[end] if end < len(offsets) else len(data)
        (out_dir / audio_slice_name(index)).write_bytes(data[low:high])
        starts.append((first - 1) * frame - bounds[index][0])
    return starts


def encode_chunk(
    source: Path,
    plan: LadderPlan,
    work_dir: Path,
    settings: TranscodeSettings,
    span: tuple[float, float | None],
    on_progress=None,
    audio: tuple[Path, float] | None = None,
) -> None:
    """Every rung of one chunk into ``work_dir`` (checked complete); ``audio``: the chunk's slice of
    the sound encoded once, and where it starts relative to the chunk (copied, not encoded)."""
    encode_rungs(
        source, plan, work_dir, settings, None, extras=False, on_progress=on_progress, span=span, audio=audio
    )


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
        *INPUT_GUARDS,
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
