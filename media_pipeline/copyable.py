"""Copy what is already right (issue 20, item 2): when the source's video can go to browsers as it
is, the rung at the source's size is a stream copy and only the lower rungs are encoded.

The rule (every condition must hold; a probe that says otherwise, or a fact it could not read,
means the ladder is encoded as before):

- video is H.264 in 8-bit ``yuv420p`` (``yuvj420p`` is full-range: encoded), with a profile every
  browser plays: Constrained Baseline, Baseline, Main or High;
- the picture is at most 1920×1080 (either way round), has square pixels and no rotation
  metadata (HLS in MPEG-TS has nowhere to carry the turn), and is not HDR;
- the frame rate is constant and at most 60 fps (the lower rungs copy its timestamps);
- the video's bit rate is at most :data:`MAX_COPY_BIT_RATE` (members on phones watch it);
- keyframes are no further apart than :data:`MAX_KEYFRAME_GAP` seconds, from a scan of every
  video packet's flags: a copied rung can only be cut at the source's keyframes, and the lower
  rungs get keyframes forced at the same instants (``-force_key_frames source``) so that players
  switch between rungs at segment boundaries.

Audio is copied too when it is AAC in stereo at 44.1 or 48 kHz; otherwise it is
encoded to AAC as usual.

**Watchable at once** (issue 20, item 1): a source that passes every video condition above but the
keyframe one (a screen recorder's 250-frame GOP, a camera's irregular keyframes) still
plays in every browser as a progressive MP4. Its streams are remuxed as they are (no decode, no
encode: seconds even for an hour) into the asset's MP4 fallback and published at once, so members
can watch while the whole ladder is encoded in one pass. Its audio must be AAC (or absent). Any
other source gets its lowest rung encoded first instead (:mod:`media_pipeline.staging`).
"""

import itertools
import logging
from pathlib import Path

from flask_babel import gettext as _

from media_pipeline.ffmpeg_runner import QUIET_WITH_PROGRESS, run_ffmpeg
from media_pipeline.ladder import SEGMENT_SECONDS, LadderPlan
from media_pipeline.probe import INPUT_GUARDS, MediaToolError, ProbeFacts, _run
from media_pipeline.transcode import (
    LOG_FILE,
    RenditionOutput,
    TranscodeOutput,
    TranscodeSettings,
)

logger = logging.getLogger(__name__)

PLAYABLE_PROFILES = {"Constrained Baseline", "Baseline", "Main", "High"}
MAX_COPY_SIZE = (1920, 1080)
MAX_COPY_FPS = 60
#: 10 Mbit/s: twice the 1080p rung's cap; above it the source is re-encoded under the cap.
MAX_COPY_BIT_RATE = 10_000_000
#: A segment holds at most this long: 1.5 × the segment length the encoded ladder uses.
MAX_KEYFRAME_GAP = SEGMENT_SECONDS * 1.5


def video_is_copyable(facts: ProbeFacts) -> bool:
    """The rule above, on the probe's facts alone (before any packet scan)."""
    if not facts.has_video or facts.video_codec != "h264" or facts.pix_fmt != "yuv420p":
        return False
    if facts.video_profile not in PLAYABLE_PROFILES or facts.bit_depth != 8 or facts.needs_tone_mapping:
        return False
    width, height = facts.width or 0, facts.height or 0
    if max(width, height) > MAX_COPY_SIZE[0] or min(width, height) > MAX_COPY_SIZE[1]:
        return False
    if facts.rotation or abs(facts.sample_aspect - 1.0) > 0.01:
        return False
    if facts.is_variable_frame_rate or not facts.frame_rate or facts.frame_rate > MAX_COPY_FPS + 0.5:
        return False
    rate = facts.video_bit_rate or facts.bit_rate
    return rate is not None and rate <= MAX_COPY_BIT_RATE


def audio_is_copyable(facts: ProbeFacts) -> bool:
    return (
        facts.audio_codec == "aac"
        and facts.audio_channels == 2
        and facts.audio_sample_rate in (44_100, 48_000)
    )


def keyframe_times(path: Path, ffprobe_bin: str, timeout: float) -> list[float]:
    """Presentation times of the first video stream's keyframes (packets only: no decoding)."""
    argv = [
        ffprobe_bin,
        "-v",
        "error",
        "-select_streams",
        "v:0",
        "-show_entries",
        "packet=pts_time,flags",
        "-of",
        "csv=p=0",
        *INPUT_GUARDS,
        str(path),
    ]
    result = _run(argv, timeout)
    times = []
    for line in result.stdout.decode("ascii", "replace").splitlines():
        pts, _sep, flags = line.partition(",")
        if "K" in flags:
            try:
                times.append(float(pts))
            except ValueError:
                continue
    return sorted(times)


def keyframes_allow_copy(times: list[float], start: float, duration: float) -> bool:
    """No gap between keyframes (nor before the first or after the last) over MAX_KEYFRAME_GAP."""
    if not times or times[0] - start > 0.05:
        return False
    bounds = [*times, start + duration]
    return all(b - a <= MAX_KEYFRAME_GAP for a, b in itertools.pairwise(bounds))


def source_is_copyable(facts: ProbeFacts, path: Path, ffprobe_bin: str, timeout: float) -> bool:
    if not video_is_copyable(facts):
        return False
    copyable = keyframes_allow_copy(
        keyframe_times(path, ffprobe_bin, timeout), facts.start_time, facts.duration
    )
    logger.info("%s: compliant H.264, keyframes %s copy", path, "allow" if copyable else "do not allow")
    return copyable


def plays_as_it_is(facts: ProbeFacts) -> bool:
    """The source, remuxed into an MP4, plays in every browser (the rule's video conditions bar the
    keyframe one, and AAC or no audio)."""
    return video_is_copyable(facts) and (facts.audio_index is None or facts.audio_codec == "aac")


def remux_source(
    source: Path, plan: LadderPlan, size: tuple[int, int], out_dir: Path, settings: TranscodeSettings
) -> TranscodeOutput:
    """The source's video (and audio) stream copied into ``out_dir/fallback.mp4`` (``size``: its
    picture), metadata dropped, the index at the front so that playback starts at once."""
    target = out_dir / "fallback.mp4"
    maps = ["-map", f"0:{plan.video_index}"]
    if plan.has_audio:
        maps += ["-map", f"0:{plan.audio_index}"]
    argv = [
        settings.ffmpeg_bin,
        *QUIET_WITH_PROGRESS,
        *INPUT_GUARDS,
        *("-i", str(source)),
        *maps,
        *("-c", "copy", "-map_metadata", "-1", "-map_chapters", "-1", "-dn", "-sn"),
        *("-movflags", "+faststart", "-f", "mp4", str(target)),
    ]
    run_ffmpeg(argv, plan.duration, out_dir / LOG_FILE, stall_seconds=settings.stall_seconds)
    bytes_written = target.stat().st_size if target.is_file() else 0
    if bytes_written == 0:
        raise MediaToolError(_("没有生成备用播放文件。"))
    bandwidth = int(bytes_written * 8 / plan.duration) if plan.duration else 0
    rendition = RenditionOutput("mp4", target.name, width=size[0], height=size[1], bandwidth=bandwidth)
    return TranscodeOutput(master_playlist=None, renditions=[rendition])
