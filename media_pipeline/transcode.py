"""One ffmpeg process builds the whole ladder; this module writes its command (run and watched by
:func:`media_pipeline.ffmpeg_runner.run_ffmpeg`) and checks what it wrote.

The command (built with ffmpeg-python, which is only trusted to assemble arguments) decodes the
source once, scales the picture to the largest rung it encodes and the smaller rungs from that one
(see :func:`_pictures`) in a ``filter_complex``, encodes every rendition with x264 (High, 8-bit
yuv420p, CRF capped by maxrate/bufsize, a keyframe every 2 s and no scene-cut keyframes, so all
renditions switch at the same instants) and AAC stereo, and writes the HLS variants with a master
playlist, plus a poster and thumbnails from two more branches.
The MP4 (or M4A) fallback is then a stream copy of one variant: no second decode or encode.
"""

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import ffmpeg
from flask_babel import gettext as _

from media_pipeline.ffmpeg_runner import QUIET_WITH_PROGRESS, run_ffmpeg
from media_pipeline.ladder import (
    AUDIO_SAMPLE_RATE,
    CRF,
    SEGMENT_SECONDS,
    LadderPlan,
)
from media_pipeline.probe import ALLOWED_DEMUXERS, MediaToolError

logger = logging.getLogger(__name__)

MASTER_PLAYLIST = "master.m3u8"
POSTER = "poster.jpg"
THUMBNAIL_DIR = "thumbs"
LOG_FILE = "ffmpeg.log"
#: Seconds added to every chunk's timestamps: no chunk's first packets (B-frame reordering, AAC
#: priming) are ever negative, which the muxer would shift by a different amount in the first chunk.
CHUNK_TS_BASE = 10.0
#: ffmpeg messages meaning the machine, not the file, failed: worth a retry.


@dataclass(frozen=True)
class TranscodeSettings:
    ffmpeg_bin: str = "ffmpeg"
    preset: str = "veryfast"
    #: Seconds without a progress report before ffmpeg is killed as stuck.
    stall_seconds: float = 300.0

    @classmethod
    def from_config(cls, config) -> "TranscodeSettings":
        return cls(
            ffmpeg_bin=config["FFMPEG_BIN"],
            preset=config["MEDIA_X264_PRESET"],
            stall_seconds=float(config["MEDIA_FFMPEG_STALL_SECONDS"]),
        )


# Alike in shape to accounts' UserData: plain dataclasses of different things.
@dataclass
class RenditionOutput:
    kind: str
    path: str
    width: int | None = None
    height: int | None = None
    bandwidth: int = 0


@dataclass
class TranscodeOutput:
    """What a finished work folder holds, with paths relative to it."""

    #: ``None`` for a folder holding only a progressive file (the source remuxed, watchable first).
    master_playlist: str | None
    renditions: list[RenditionOutput] = field(default_factory=list)
    poster: str | None = None
    thumbnails: list[str] = field(default_factory=list)


def _video_chain(source, plan: LadderPlan):
    """Decode-side filters shared by every rendition: HDR tone-mapping, constant frame rate."""
    stream = source
    if plan.tone_map and plan.hdr_transfer:
        top = plan.renditions[-1]
        # Scale to the top rung first: tone-mapping in 32-bit float is the costly step.
        stream = (
            stream.filter(
                "zscale",
                w=top.width,
                h=top.height,
                tin=plan.hdr_transfer,
                pin=plan.hdr_primaries or "bt2020",
                min="bt2020nc",
                t="linear",
                npl=100,
            )
            .filter("format", "gbrpf32le")
            .filter("zscale", p="bt709")
            .filter("tonemap", tonemap="hable", desat=0)
            .filter("zscale", t="bt709", m="bt709", r="tv")
            .filter("format", "yuv420p")
        )
    return stream.filter("fps", fps=str(plan.fps))


def _encode_options(plan: LadderPlan, rungs: list[int], settings: TranscodeSettings) -> dict:
    """Per output stream (``:v:<k>`` is the k-th video stream of this command): x264 High 8-bit
    with keyframes every GOP_SECONDS, or, under a copied top rung, where the source has them;
    the copied rung itself is ``copy``."""
    options: dict = {}
    for k, index in enumerate(rungs):
        rendition = plan.renditions[index]
        if plan.copy_top and index == len(plan.renditions) - 1:
            # Annex B from the first packet: the HLS muxer reads the profile and level for the
            # master's CODECS from it (an MP4's avcC header left the copied rung without CODECS,
            # which players that pick variants by codec skip).
            options.update({f"c:v:{k}": "copy", f"bsf:v:{k}": "h264_mp4toannexb"})
            continue
        options.update(
            {
                f"c:v:{k}": "libx264",
                f"profile:v:{k}": "high",
                f"preset:v:{k}": settings.preset,
                f"crf:v:{k}": CRF,
                f"maxrate:v:{k}": rendition.maxrate,
                f"bufsize:v:{k}": rendition.bufsize,
                f"pix_fmt:v:{k}": "yuv420p",
                f"sc_threshold:v:{k}": 0,
                f"color_primaries:v:{k}": "bt709",
                f"color_trc:v:{k}": "bt709",
                f"colorspace:v:{k}": "bt709",
            }
        )
        if plan.copy_top:  # no keyframe but the source's: a huge GOP, keyframes forced at its own
            options.update({f"g:v:{k}": 100_000, f"force_key_frames:v:{k}": "source"})
        else:
            options.update(
                {
                    f"g:v:{k}": plan.gop_frames,
                    f"keyint_min:v:{k}": plan.gop_frames,
                    f"force_key_frames:v:{k}": "expr:gte(t,n_forced*2)",
                }
            )
    return options


def _extra_outputs(poster_source, thumbs_source, plan: LadderPlan, out_dir: Path) -> list:
    """The poster (one frame, at the fallback's size) and the thumbnails: each branch lets through
    only the frames it writes, so nothing else of the picture is scaled for them."""
    top = plan.renditions[plan.fallback_index or 0]
    poster = (
        poster_source.filter("select", f"isnan(prev_selected_t)*gte(t,{plan.poster_time})")
        .filter("scale", w=top.width, h=top.height)
        .filter("setsar", "1")
    )
    first_time, *rest = plan.thumbnail_times
    gap = (rest[0] - first_time) if rest else plan.duration
    thumb_w, thumb_h = plan.thumbnail_size
    thumbs = (
        thumbs_source.filter(
            "select", f"isnan(prev_selected_t)*gte(t,{first_time})+gte(t-prev_selected_t,{gap:.3f})"
        )
        .filter("scale", w=thumb_w, h=thumb_h)
        .filter("setsar", "1")
    )
    (out_dir / THUMBNAIL_DIR).mkdir(exist_ok=True)
    return [
        ffmpeg.output(poster, str(out_dir / POSTER), **{"frames:v": 1, "q:v": 3, "update": 1}),
        ffmpeg.output(
            thumbs,
            str(out_dir / THUMBNAIL_DIR / "%02d.jpg"),
            **{"frames:v": len(plan.thumbnail_times), "q:v": 4, "start_number": 1},
        ),
    ]


def _scaled(branch, rendition):
    return (
        branch.filter("scale", w=rendition.width, h=rendition.height)
        .filter("setsar", "1")
        .filter("format", "yuv420p")
    )


def _area(rendition) -> int:
    return rendition.width * rendition.height


def _pictures(chain, plan: LadderPlan, encoded: list[int], extras: bool) -> tuple[dict, list]:
    """The scaled picture of each encoded rung, and the sources of the poster and thumbnails.

    Only the largest encoded rung is scaled from the decoded source; the smaller rungs, the poster
    (when no larger than that rung) and the thumbnails are scaled from it. Scaling a 1080p frame costs
    several times scaling a 720p one, and with the top rung copied this is a fifth of the command's
    time; the picture a member sees is the same to the eye (one extra bicubic pass at 2:1 or 4:3)."""
    if not encoded:
        branches = chain.filter_multi_output("split", 2)
        return {}, [branches[0], branches[1]]
    largest = max(encoded, key=lambda i: _area(plan.renditions[i]))
    smaller = [i for i in encoded if i != largest]
    poster_from_largest = _area(plan.renditions[largest]) >= _area(plan.renditions[plan.fallback_index or 0])
    from_chain = 1 + (1 if extras and not poster_from_largest else 0)
    from_largest = 1 + len(smaller) + (1 + int(poster_from_largest) if extras else 0)
    source = chain.filter_multi_output("split", from_chain) if from_chain > 1 else None
    base = _scaled(source[0] if source else chain, plan.renditions[largest])
    parts = base.filter_multi_output("split", from_largest) if from_largest > 1 else None
    pictures = {largest: parts[0] if parts else base}
    for k, index in enumerate(smaller, start=1):
        pictures[index] = _scaled(parts[k], plan.renditions[index])
    extra_sources = []
    if extras:
        poster = parts[len(smaller) + 1] if poster_from_largest else source[1]
        extra_sources = [poster, parts[from_largest - 1]]
    return pictures, extra_sources


def var_stream_map(plan: LadderPlan, rungs: list[int]) -> str:
    """ffmpeg's ``-var_stream_map`` for the rungs of one command (see LadderPlan.var_stream_map)."""
    if plan.is_audio_only:
        return plan.var_stream_map
    names = [plan.renditions[i].name for i in rungs]
    if plan.has_audio:
        return " ".join(f"v:{k},a:{k},name:{name}" for k, name in enumerate(names))
    return " ".join(f"v:{k},name:{name}" for k, name in enumerate(names))


def build_command(
    source: Path,
    plan: LadderPlan,
    out_dir: Path,
    settings: TranscodeSettings,
    rungs: list[int] | None = None,
    extras: bool = True,
    span: tuple[float, float | None] | None = None,
    audio_input: tuple[Path, float] | None = None,
) -> list[str]:
    """The ffmpeg argument list that writes ``rungs`` of the plan (all by default) into ``out_dir``,
    with the poster and thumbnails when ``extras``; ``span`` = (start, length or None for the rest)
    encodes one chunk of the source, its timestamps kept where they are in the whole; ``audio_input`` =
    (ADTS file, its start relative to the span) is copied as the sound instead of encoding the
    source's (see :mod:`media_pipeline.chunking`)."""
    # Only the containers the probe accepted, from local files only (see probe.ALLOWED_DEMUXERS).
    input_options = {"protocol_whitelist": "file", "format_whitelist": ",".join(ALLOWED_DEMUXERS)}
    if span is not None:
        input_options["ss"] = f"{span[0]:.6f}"
        if span[1] is not None:
            input_options["t"] = f"{span[1]:.6f}"
    inp = ffmpeg.input(str(source), **input_options)
    rungs = list(range(len(plan.renditions))) if rungs is None else list(rungs)
    audio = inp[str(plan.audio_index)] if plan.has_audio else None
    if audio is not None and audio_input is not None:
        slice_path, offset = audio_input
        audio = ffmpeg.input(
            str(slice_path),
            f="aac",
            itsoffset=f"{offset:.6f}",
            protocol_whitelist="file",
            format_whitelist="aac",
        )["a"]
    streams: list = []
    outputs = []
    options: dict = {}
    if plan.has_video:
        copied = len(plan.renditions) - 1 if plan.copy_top else None
        encoded = [i for i in rungs if i != copied]
        source_video = inp[str(plan.video_index)]
        chain = source_video if plan.copy_top else _video_chain(source_video, plan)
        scaled, extra_sources = _pictures(chain, plan, encoded, extras) if encoded or extras else ({}, [])
        for index in rungs:
            streams.append(scaled.get(index, source_video))
            if audio is not None:
                streams.append(audio)
        options.update(_encode_options(plan, rungs, settings))
        if extras:
            outputs += _extra_outputs(*extra_sources, plan, out_dir)
    else:
        streams.append(audio)
    if plan.has_audio:
        audio_options = {"c:a": "aac", "b:a": plan.audio_bitrate, "ac:a": 2, "ar:a": AUDIO_SAMPLE_RATE}
        options.update({"c:a": "copy"} if plan.copy_audio or audio_input is not None else audio_options)
    if streams:
        options.update(
            {
                "f": "hls",
                "hls_time": SEGMENT_SECONDS,
                "hls_playlist_type": "vod",
                "hls_segment_type": "mpegts",
                "hls_flags": "independent_segments",
                "hls_segment_filename": str(out_dir / "%v" / "seg_%05d.ts"),
                "master_pl_name": MASTER_PLAYLIST,
                "var_stream_map": var_stream_map(plan, rungs),
            }
        )
        if span is not None:
            options["output_ts_offset"] = f"{span[0] + CHUNK_TS_BASE:.6f}"
        outputs.insert(0, ffmpeg.output(*streams, str(out_dir / "%v" / "index.m3u8"), **options))
    argv = ffmpeg.merge_outputs(*outputs).compile(cmd=settings.ffmpeg_bin)
    # Global options first: ffmpeg ignores options trailing the last output.
    return [argv[0], *QUIET_WITH_PROGRESS, "-stats_period", "1", *argv[1:]]


_STREAM_INF = re.compile(r"#EXT-X-STREAM-INF:(?P<attrs>.*)\n(?P<uri>[^#\n][^\n]*)")


def read_master(path: Path) -> list[tuple[str, int]]:
    """(variant playlist, BANDWIDTH) pairs of a master playlist."""
    variants = []
    for match in _STREAM_INF.finditer(path.read_text()):
        bandwidth = re.search(r"(?:^|,)BANDWIDTH=(\d+)", match.group("attrs"))
        variants.append((match.group("uri").strip(), int(bandwidth.group(1)) if bandwidth else 0))
    return variants


def _remux_fallback(playlist: Path, target: Path, settings: TranscodeSettings, log_path: Path) -> None:
    argv = [
        settings.ffmpeg_bin,
        *QUIET_WITH_PROGRESS,
        "-protocol_whitelist",  # our own playlist, and the segments beside it
        "file",
        "-format_whitelist",
        "hls,mpegts",
        "-i",
        str(playlist),
        "-map",
        "0",
        "-c",
        "copy",
        "-bsf:a",
        "aac_adtstoasc",
        "-movflags",
        "+faststart",
        str(target),
    ]
    run_ffmpeg(argv, 0.0, log_path, stall_seconds=settings.stall_seconds)


def check_variants(out_dir: Path, plan: LadderPlan, names: list[str]) -> list[RenditionOutput]:
    """The HLS variants ``names`` written into ``out_dir`` by one command, each complete and listed
    in that command's master playlist (read for its BANDWIDTH)."""
    master = out_dir / MASTER_PLAYLIST
    if not master.is_file():
        raise MediaToolError(_("ffmpeg 没有写出主播放列表。"))
    bandwidths = dict(read_master(master))
    sizes = {r.name: r for r in plan.renditions}
    outputs = []
    for name in names:
        playlist = f"{name}/index.m3u8"
        text = (out_dir / playlist).read_text() if (out_dir / playlist).is_file() else ""
        if "#EXT-X-ENDLIST" not in text or playlist not in bandwidths:
            raise MediaToolError(_("渲染 %(name)s 不完整。", name=name))
        rendition = sizes.get(name)
        outputs.append(
            RenditionOutput(
                kind="hls",
                path=playlist,
                width=rendition.width if rendition else None,
                height=rendition.height if rendition else None,
                bandwidth=bandwidths[playlist],
            )
        )
    return outputs


# Parameters alike to build_command's, which it calls with them: a signature each, kept apart.
def encode_rungs(
    source: Path,
    plan: LadderPlan,
    out_dir: Path,
    settings: TranscodeSettings,
    rungs: list[int] | None = None,
    extras: bool = True,
    on_progress: Callable[[float], None] | None = None,
    span: tuple[float, float | None] | None = None,
    audio: tuple[Path, float] | None = None,
) -> list[RenditionOutput]:
    """Run one ffmpeg command writing ``rungs`` (all by default) and, with ``extras``, the poster
    and thumbnails (of the ``span`` of the source only, when given; ``audio``: see build_command's
    ``audio_input``); returns the variants, checked."""
    argv = build_command(source, plan, out_dir, settings, rungs, extras, span, audio)
    logger.info("transcoding %s: %s", source, " ".join(argv))
    length = plan.duration if span is None else (span[1] or max(0.0, plan.duration - span[0]))
    run_ffmpeg(argv, length, out_dir / LOG_FILE, on_progress, settings.stall_seconds)
    if extras and plan.has_video and not (out_dir / POSTER).is_file():
        raise MediaToolError(_("ffmpeg 没有写出封面图。"))
    names = plan.variant_names if rungs is None else [plan.renditions[i].name for i in rungs]
    return check_variants(out_dir, plan, names) if names else []


def finish_output(
    out_dir: Path, plan: LadderPlan, variants: list[RenditionOutput], settings: TranscodeSettings
) -> TranscodeOutput:
    """The MP4 (or M4A) fallback, remuxed from one variant, and the output's description."""
    output = TranscodeOutput(master_playlist=MASTER_PLAYLIST, renditions=list(variants))
    log_path = out_dir / LOG_FILE
    if plan.has_video:
        fallback = plan.renditions[plan.fallback_index or 0]
        target = out_dir / "fallback.mp4"
        _remux_fallback(out_dir / f"{fallback.name}/index.m3u8", target, settings, log_path)
        kind, width, height = "mp4", fallback.width, fallback.height
        output.poster = POSTER
        output.thumbnails = sorted(
            p.relative_to(out_dir).as_posix() for p in (out_dir / THUMBNAIL_DIR).glob("*.jpg")
        )
    else:
        target = out_dir / "fallback.m4a"
        _remux_fallback(out_dir / "audio/index.m3u8", target, settings, log_path)
        kind, width, height = "audio", None, None
    size = target.stat().st_size if target.is_file() else 0
    if size == 0:
        raise MediaToolError(_("没有生成备用播放文件。"))
    output.renditions.append(
        RenditionOutput(
            kind=kind,
            path=target.name,
            width=width,
            height=height,
            bandwidth=int(size * 8 / plan.duration) if plan.duration else 0,
        )
    )
    return output


def transcode(
    source: Path,
    plan: LadderPlan,
    out_dir: Path,
    settings: TranscodeSettings,
    on_progress: Callable[[float], None] | None = None,
) -> TranscodeOutput:
    """Write every output of ``plan`` into ``out_dir`` in one command and check they are all there."""

    def encode_progress(fraction: float) -> None:
        if on_progress:
            on_progress(fraction * 0.97)  # the remux and checks are the last few percent

    variants = encode_rungs(source, plan, out_dir, settings, on_progress=encode_progress)
    output = finish_output(out_dir, plan, variants, settings)
    if on_progress:
        on_progress(0.99)
    return output
