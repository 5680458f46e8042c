"""Rendition planning: probe facts in, the renditions to make out. Pure, no I/O, fully tested.

The rules (issue 3, item 4):

- the ladder is 360p, 540p, 720p and 1080p of the *shorter display side*, up to the source and
  never above it; a source below 360p gets one rendition at its own size;
- portrait video ladders by its shorter side (its width) and stays portrait;
- rotation metadata is applied: sizes are of the picture as a player shows it, upright;
- non-square pixels are made square, and every width and height is even (H.264 4:2:0 needs it);
- audio-only input gets one audio HLS rendition and an M4A fallback, no video;
- video without audio gets no audio track at all (the stream maps are built from this plan);
- HDR or 10-bit input is tone-mapped to 8-bit SDR: every output is H.264 High, 8-bit yuv420p.
"""

from dataclasses import dataclass, field
from fractions import Fraction

from media_pipeline.probe import ProbeFacts

#: The ladder, by shorter display side.
RUNGS = (360, 540, 720, 1080)
#: Peak video bitrate per rung (bits/s) at up to 30 frames per second; CRF decides below the cap.
RUNG_MAXRATE = {360: 800_000, 540: 1_400_000, 720: 2_800_000, 1080: 5_000_000}
#: The progressive MP4 fallback is this rung, or the top rung when the source is smaller.
FALLBACK_RUNG = 720
#: Constant rate factor of x264: the quality target under the per-rendition cap.
CRF = 23
AUDIO_BITRATE = 128_000
AUDIO_SAMPLE_RATE = 48_000
#: Keyframe every 2 s in every rendition, so that players can switch between them at any segment.
GOP_SECONDS = 2
#: HLS segment length, a whole number of GOPs.
SEGMENT_SECONDS = 4
MAX_FPS = 60
DEFAULT_FPS = Fraction(30)
THUMBNAIL_COUNT = 5
THUMBNAIL_WIDTH = 320


@dataclass(frozen=True)
class VideoRendition:
    name: str
    width: int
    height: int
    maxrate: int
    bufsize: int

    @property
    def short_side(self) -> int:
        return min(self.width, self.height)


@dataclass(frozen=True)
class LadderPlan:
    """Everything :mod:`media_pipeline.transcode` needs to build the one ffmpeg command."""

    duration: float
    #: Video renditions, smallest first; empty for audio-only input.
    renditions: tuple[VideoRendition, ...] = ()
    #: Input stream indexes to map (from the probe): a missing stream is simply not mapped.
    video_index: int | None = None
    audio_index: int | None = None
    audio_bitrate: int = AUDIO_BITRATE
    #: Constant output frame rate (variable-rate input is made constant so GOPs line up).
    fps: Fraction | None = None
    gop_frames: int | None = None
    #: Clockwise turn applied (ffmpeg's autorotation does it; sizes above already account for it).
    rotation: int = 0
    tone_map: bool = False
    #: ffprobe transfer / primaries of an HDR source, for the tone-mapping filter.
    hdr_transfer: str | None = None
    hdr_primaries: str | None = None
    #: Index into ``renditions`` of the one remuxed into the MP4 fallback.
    fallback_index: int | None = None
    poster_time: float = 0.0
    thumbnail_times: tuple[float, ...] = field(default_factory=tuple)
    thumbnail_size: tuple[int, int] | None = None
    #: The top rendition is the source's video copied (see :mod:`media_pipeline.copyable`); the
    #: others keep its timestamps and get keyframes where it has them.
    copy_top: bool = False
    #: The source's AAC is copied into every variant instead of encoded.
    copy_audio: bool = False

    @property
    def has_video(self) -> bool:
        return bool(self.renditions)

    @property
    def has_audio(self) -> bool:
        return self.audio_index is not None

    @property
    def is_audio_only(self) -> bool:
        return not self.renditions and self.has_audio

    @property
    def variant_names(self) -> list[str]:
        return [r.name for r in self.renditions] if self.renditions else ["audio"]

    @property
    def var_stream_map(self) -> str:
        """ffmpeg's ``-var_stream_map``, pairing each video with its own audio only when there is
        audio: a fixed ``a:N`` on silent input makes ffmpeg exit with an error."""
        if self.is_audio_only:
            return "a:0,name:audio"
        if self.has_audio:
            return " ".join(f"v:{i},a:{i},name:{r.name}" for i, r in enumerate(self.renditions))
        return " ".join(f"v:{i},name:{r.name}" for i, r in enumerate(self.renditions))


def even_floor(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def even_round(value: float) -> int:
    return max(2, round(value / 2.0) * 2)


def output_fps(facts: ProbeFacts) -> Fraction:
    """A constant rate near the source's, at most MAX_FPS (120 fps halves to 60)."""
    rate = Fraction(facts.frame_rate).limit_denominator(1001) if facts.frame_rate else DEFAULT_FPS
    while rate > MAX_FPS:
        rate /= 2
    if facts.is_variable_frame_rate:
        rate = Fraction(max(1, round(rate)))  # phones' variable rates average to odd numbers
    return rate


def _maxrate(width: int, height: int, fps: Fraction, rung: int | None) -> int:
    if rung in RUNG_MAXRATE:
        rate = RUNG_MAXRATE[rung]
    else:  # below the ladder: scale the 360p cap by area, with a floor for tiny pictures
        rate = max(200_000, int(RUNG_MAXRATE[360] * width * height / (640 * 360)))
    return int(rate * 1.5) if fps > 34 else rate


def _sized(name: str, width: int, height: int, fps: Fraction, rung: int | None) -> VideoRendition:
    maxrate = _maxrate(width, height, fps, rung)
    return VideoRendition(name=name, width=width, height=height, maxrate=maxrate, bufsize=2 * maxrate)


def plan_ladder(facts: ProbeFacts, *, copy: bool = False, copy_audio: bool = False) -> LadderPlan:
    """The renditions to make from a file with ``facts``; with ``copy`` (the source passed
    :func:`media_pipeline.copyable.source_is_copyable`) the top rung is the source at its size."""
    common = {
        "duration": facts.duration,
        "audio_index": facts.audio_index,
        "audio_bitrate": AUDIO_BITRATE,
    }
    if not facts.has_video:
        return LadderPlan(**common)

    display = facts.display_size
    assert display is not None, "a video stream always has a size"
    width, height = display
    fps = output_fps(facts)
    short, long_ = min(width, height), max(width, height)
    is_portrait = height > width

    renditions: list[VideoRendition] = []
    if short < RUNGS[0]:
        w, h = even_floor(width), even_floor(height)
        renditions.append(_sized(f"{min(w, h)}p", w, h, fps, None))
    else:
        for rung in RUNGS:
            if rung > short:
                break
            scaled_long = even_round(long_ * rung / short)
            scaled_long = min(scaled_long, even_floor(long_))  # rounding never upscales either
            w, h = (rung, scaled_long) if is_portrait else (scaled_long, rung)
            renditions.append(_sized(f"{rung}p", w, h, fps, rung))

    if copy:
        renditions = [r for r in renditions if r.short_side < short]
        renditions.append(_sized(f"{short}p", width, height, fps, short if short in RUNGS else None))
    fallback_index = next(
        (i for i, r in enumerate(renditions) if r.short_side == FALLBACK_RUNG), len(renditions) - 1
    )
    thumb_count = max(1, min(THUMBNAIL_COUNT, int(facts.duration)))
    step = facts.duration / thumb_count
    thumb_w = min(THUMBNAIL_WIDTH, renditions[-1].width)
    thumb_h = even_round(thumb_w * renditions[-1].height / renditions[-1].width)
    return LadderPlan(
        **common,
        renditions=tuple(renditions),
        video_index=facts.video_index,
        fps=fps,
        gop_frames=max(1, round(fps * GOP_SECONDS)),
        rotation=facts.rotation,
        tone_map=facts.needs_tone_mapping,
        hdr_transfer=facts.color_transfer if facts.is_hdr else None,
        hdr_primaries=(facts.color_primaries or "bt2020") if facts.is_hdr else None,
        fallback_index=fallback_index,
        poster_time=round(min(facts.duration * 0.1, 10.0), 3),
        thumbnail_times=tuple(round(step * (i + 0.5), 3) for i in range(thumb_count)),
        thumbnail_size=(even_round(thumb_w), thumb_h),
        copy_top=copy,
        copy_audio=copy and copy_audio and facts.has_audio,
    )
