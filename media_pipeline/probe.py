"""ffprobe: what a file holds, and whether it is media the pipeline can take.

ffmpeg-python's ``probe`` waits for ffprobe forever, so the process is run here with a timeout
and killed on expiry. Every refusal is a :class:`MediaInputError` with the message a trainer
sees; :class:`MediaToolError` means the server, not the file, is at fault.
"""

import json
import logging
import math
import os
import subprocess
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

from flask_babel import gettext as _

from app.core.errors import DomainError

logger = logging.getLogger(__name__)

#: ffprobe ``color_transfer`` values of HDR video: PQ (HDR10, Dolby Vision base) and HLG (iPhone).
HDR_TRANSFERS = {"smpte2084", "arib-std-b67"}
#: Smallest width or height taken for a real picture.
MIN_DIMENSION = 16
#: Longest side over shortest side beyond which a picture is refused as absurd.
MAX_ASPECT = 8
#: ffprobe's confidence (0-100) below which a "format" is a guess over noise: real files score
#: 50 and more, while arbitrary bytes can pass as a raw audio format at 25 or so.
MIN_PROBE_SCORE = 30


#: The demuxers (ffmpeg's names) the pipeline accepts: containers of recorded audio and video. ffprobe
#: and ffmpeg are told to open nothing else (``-format_whitelist``) and to read local files only
#: (``-protocol_whitelist file``). Left to themselves they recognise a text file named ``.mp4`` as an
#: HLS playlist or an ffconcat list and open whatever files it names — another asset's original.
ALLOWED_DEMUXERS = (
    "mov",  # mp4, m4a, mov, 3gp
    "matroska",  # mkv, webm
    "webm",
    "avi",
    "flv",
    "mpegts",
    "mpeg",  # mpg, vob
    "asf",  # wmv, wma
    "mp3",
    "aac",
    "wav",
    "w64",
    "aiff",
    "ogg",
    "flac",
    "amr",  # older phones' voice recordings
)
#: What every ffprobe and ffmpeg run over an uploaded file is given before its input.
INPUT_GUARDS = ("-protocol_whitelist", "file", "-format_whitelist", ",".join(ALLOWED_DEMUXERS))


class MediaInputError(DomainError):
    """The file cannot become a lesson: not media, damaged, too long... (message in Chinese)."""


class MediaToolError(RuntimeError):
    """ffprobe or ffmpeg could not run (missing binary, killed, out of disk): worth retrying."""


@dataclass(frozen=True)
class ProbeFacts:
    """What the planner and the checks need to know about a file, and nothing else."""

    duration: float
    format_name: str = ""
    bit_rate: int | None = None
    start_time: float = 0.0
    #: Stream index (as ffmpeg's ``-map 0:<index>`` wants it) of the video and audio used.
    video_index: int | None = None
    audio_index: int | None = None
    width: int | None = None
    height: int | None = None
    #: Clockwise degrees a player turns the coded picture: 0, 90, 180 or 270.
    rotation: int = 0
    #: Sample (pixel) aspect ratio, 1.0 for square pixels.
    sample_aspect: float = 1.0
    video_codec: str | None = None
    pix_fmt: str | None = None
    bit_depth: int = 8
    color_transfer: str | None = None
    color_primaries: str | None = None
    frame_rate: float | None = None
    #: True when the frame rate varies (``r_frame_rate`` differs from the average).
    is_variable_frame_rate: bool = False
    audio_codec: str | None = None
    audio_channels: int | None = None
    #: For the stream-copy rule (:mod:`media_pipeline.copyable`): H.264 profile, video and audio rates.
    video_profile: str | None = None
    video_bit_rate: int | None = None
    audio_sample_rate: int | None = None

    @property
    def has_video(self) -> bool:
        return self.video_index is not None

    @property
    def has_audio(self) -> bool:
        return self.audio_index is not None

    @property
    def is_hdr(self) -> bool:
        return (self.color_transfer or "") in HDR_TRANSFERS

    @property
    def needs_tone_mapping(self) -> bool:
        """HDR or deeper than 8 bits: browsers play neither, so both become 8-bit SDR."""
        return self.has_video and (self.is_hdr or self.bit_depth > 8)

    @property
    def display_size(self) -> tuple[int, int] | None:
        """(width, height) as a player shows the picture: pixel aspect and rotation applied."""
        if self.width is None or self.height is None:
            return None
        width = round(self.width * self.sample_aspect) if self.sample_aspect > 0 else self.width
        height = self.height
        return (height, width) if self.rotation in (90, 270) else (width, height)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ProbeLimits:
    max_duration: float
    max_dimension: int

    @classmethod
    def from_config(cls, config) -> "ProbeLimits":
        return cls(
            max_duration=config["MEDIA_MAX_DURATION_SECONDS"], max_dimension=config["MEDIA_MAX_DIMENSION"]
        )


def _run(argv: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run a tool, killing it (not just abandoning it) when ``timeout`` passes."""
    try:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise MediaToolError(
            _("无法运行 %(argv)s：%(strerror)s", argv=argv[0], strerror=exc.strerror)
        ) from exc
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise MediaInputError(_("检测文件超时：文件可能已损坏或格式异常。")) from None
    except BaseException:  # a Celery soft time limit, KeyboardInterrupt: never leave ffprobe behind
        process.kill()
        process.wait()
        raise
    return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)


#: Leading bytes of files people upload by mistake, and what to call them.
_NOT_MEDIA = (
    (b"%PDF", "PDF 文档"),
    (b"PK\x03\x04", "ZIP 压缩包（或 Word、Excel、PPT 文档）"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf", "7z 压缩包"),
    (b"\xd0\xcf\x11\xe0", "Office 文档"),
    (b"#EXTM3U", "播放列表（M3U/HLS）"),
    (b"ffconcat", "播放列表（ffconcat）"),
)
#: ISO base media (MP4, MOV, M4A) files start with one of these boxes.
_MP4_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"}

UNRECOGNISED = "无法识别的文件：请上传视频或音频文件（如 MP4、MOV、MP3）。"
UNSUPPORTED = (
    "无法识别的文件格式：请上传常见的视频或音频文件（如 MP4、MOV、MP3），"
    "播放列表、字幕、图片等文件不能作为课程音视频。"
)
TRUNCATED = "文件不完整（可能上传中断或已损坏），请重新上传完整的文件。"


def error_for_ffprobe(returncode: int, stderr: str, header: bytes = b"") -> MediaInputError | MediaToolError:
    """Turn a failed ffprobe run into the error a trainer (or an operator) should see. ``header``
    is the file's first bytes: ffprobe says "moov atom not found" both for an MP4 cut short and
    for a PDF renamed to .mp4, and only the header tells them apart."""
    text = stderr.lower()
    if returncode < 0:
        return MediaToolError(_("ffprobe 被信号 %(signal)s 终止。", signal=-returncode))
    if "no such file" in text or "permission denied" in text:
        return MediaToolError(_("服务器无法读取上传的文件。"))
    for magic, name in _NOT_MEDIA:
        if header.startswith(magic):
            return MediaInputError(_("该文件是 %(name)s，不是音视频文件，请上传视频或音频。", name=name))
    if "not on whitelist" in text:
        return MediaInputError(UNSUPPORTED)
    if "moov atom not found" in text:
        return MediaInputError(TRUNCATED if header[4:8] in _MP4_BOXES else UNRECOGNISED)
    if "partial file" in text or "end of file" in text:
        return MediaInputError(TRUNCATED)
    if "invalid data found" in text or "could not find codec" in text or "unknown format" in text:
        return MediaInputError(UNRECOGNISED)
    return MediaInputError(_("无法读取该文件，文件可能已损坏或不是音视频文件。"))


def _fraction(value: str | None) -> Fraction | None:
    try:
        result = Fraction(value) if value and value not in {"0/0", "N/A"} else None
    except (ValueError, ZeroDivisionError):
        return None
    return result if result and result > 0 else None


def _rotation(stream: dict) -> int:
    """Clockwise degrees, from the display matrix (ffprobe reports it counter-clockwise) or the
    legacy ``rotate`` tag (clockwise)."""
    degrees = 0.0
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            degrees = -float(side["rotation"])
            break
    else:
        tag = (stream.get("tags") or {}).get("rotate")
        if tag:
            degrees = float(tag)
    return round(degrees / 90.0) * 90 % 360


def _bit_depth(stream: dict) -> int:
    raw = stream.get("bits_per_raw_sample")
    if raw and str(raw).isdigit() and int(raw) > 0:
        return int(raw)
    pix_fmt = stream.get("pix_fmt") or ""
    for depth in (16, 14, 12, 10, 9):
        if f"p{depth}" in pix_fmt:
            return depth
    return 8


def _float(value) -> float | None:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def parse_probe(data: dict) -> ProbeFacts:
    """Facts from ffprobe's JSON (``-show_format -show_streams``); :class:`MediaInputError` when
    there is nothing to play."""
    streams = data.get("streams") or []
    fmt = data.get("format") or {}

    def playable(stream: dict, kind: str) -> bool:
        if stream.get("codec_type") != kind:
            return False
        # A cover picture in an MP3 or M4A is a "video" stream of one frame, not a video.
        return not (kind == "video" and (stream.get("disposition") or {}).get("attached_pic"))

    videos = [s for s in streams if playable(s, "video")]
    audios = [s for s in streams if playable(s, "audio")]
    if not videos and not audios:
        raise MediaInputError(_("文件中没有视频或音频（例如只有字幕或数据轨道），无法作为课程音视频。"))

    def default_first(candidates: list[dict]) -> dict | None:
        return next((s for s in candidates if (s.get("disposition") or {}).get("default")), None) or (
            candidates[0] if candidates else None
        )

    video, audio = default_first(videos), default_first(audios)
    durations = [_float(fmt.get("duration"))] + [_float(s.get("duration")) for s in (video, audio) if s]
    duration = max((d for d in durations if d), default=None)
    if not duration or duration <= 0:
        raise MediaInputError(_("无法读取媒体时长，文件可能已损坏。"))

    facts: dict = {
        "duration": duration,
        "format_name": fmt.get("format_name", ""),
        "bit_rate": int(_float(fmt.get("bit_rate")) or 0) or None,
        "start_time": _float(fmt.get("start_time")) or 0.0,
    }
    if video is not None:
        avg, raw = _fraction(video.get("avg_frame_rate")), _fraction(video.get("r_frame_rate"))
        rate = avg or raw
        sar = _fraction((video.get("sample_aspect_ratio") or "").replace(":", "/"))
        facts.update(
            video_index=int(video["index"]),
            width=int(video.get("width") or 0) or None,
            height=int(video.get("height") or 0) or None,
            rotation=_rotation(video),
            sample_aspect=float(sar) if sar else 1.0,
            video_codec=video.get("codec_name"),
            pix_fmt=video.get("pix_fmt"),
            bit_depth=_bit_depth(video),
            color_transfer=video.get("color_transfer"),
            color_primaries=video.get("color_primaries"),
            frame_rate=float(rate) if rate else None,
            is_variable_frame_rate=bool(avg and raw and abs(float(avg) - float(raw)) > 0.01 * float(raw)),
            video_profile=video.get("profile"),
            video_bit_rate=int(_float(video.get("bit_rate")) or 0) or None,
        )
    if audio is not None:
        facts.update(
            audio_index=int(audio["index"]),
            audio_codec=audio.get("codec_name"),
            audio_channels=int(audio.get("channels") or 0) or None,
            audio_sample_rate=int(_float(audio.get("sample_rate")) or 0) or None,
        )
    return ProbeFacts(**facts)


def check_facts(facts: ProbeFacts, limits: ProbeLimits) -> None:
    """Refuse media the platform does not take: too long, absurd dimensions."""
    if facts.duration > limits.max_duration:
        raise MediaInputError(
            _(
                "时长 %(value)s 超过上限 %(value2)s，请剪辑或分段后上传。",
                value=_hms(facts.duration),
                value2=_hms(limits.max_duration),
            )
        )
    if facts.duration < 0.1:
        raise MediaInputError(_("媒体时长过短，无法作为课程音视频。"))
    if facts.has_video:
        width, height = facts.width or 0, facts.height or 0
        if min(width, height) < MIN_DIMENSION or max(width, height) > limits.max_dimension:
            raise MediaInputError(
                _(
                    "视频尺寸 %(width)s×%(height)s 超出支持范围（每边 %(least)s–%(most)s 像素）。",
                    width=width,
                    height=height,
                    least=MIN_DIMENSION,
                    most=limits.max_dimension,
                )
            )
        if max(width, height) / min(width, height) > MAX_ASPECT:
            raise MediaInputError(
                _("视频尺寸 %(width)s×%(height)s 的宽高比异常，无法处理。", width=width, height=height)
            )


def _hms(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _check_complete(path: Path, facts: ProbeFacts, ffprobe_bin: str, timeout: float) -> None:
    """Read the last seconds of the main stream: a truncated file has no packets there, or
    ffprobe reports a partial file. Headers alone (an MP4 with its index first) look whole."""
    stream = "v:0" if facts.has_video else "a:0"
    tail_start = max(0.0, facts.start_time + facts.duration - 5.0)
    argv = [
        ffprobe_bin,
        "-v",
        "error",
        "-read_intervals",
        f"{tail_start:.3f}%",
        "-select_streams",
        stream,
        "-show_entries",
        "packet=pts_time,dts_time",
        "-of",
        "csv=p=0",
        *INPUT_GUARDS,
        str(path),
    ]
    result = _run(argv, timeout)
    stderr = result.stderr.decode("utf-8", "replace")
    times = []
    for line in result.stdout.decode("ascii", "replace").splitlines():
        for field in line.split(","):
            value = _float(field)
            if value is not None:
                times.append(value)
                break
    expected_end = facts.start_time + facts.duration
    tolerance = max(2.5, 0.05 * facts.duration)
    if "partial file" in stderr or not times or max(times) < expected_end - tolerance:
        logger.info(
            "truncated media %s: packets end at %s of %.2f", path, max(times, default=None), expected_end
        )
        raise MediaInputError(TRUNCATED)


# Runs ffprobe like _check_complete above; alike in shape, different entries and parsing.
def probe_file(path: str | os.PathLike, ffprobe_bin: str, timeout: float, limits: ProbeLimits) -> ProbeFacts:
    """Probe ``path`` and check it is whole, playable media within the limits."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise MediaToolError(_("服务器无法读取上传的文件。")) from exc
    if size == 0:
        raise MediaInputError(_("文件是空的（0 字节），请重新选择文件。"))
    with path.open("rb") as head:
        header = head.read(16)
    for magic, name in _NOT_MEDIA:  # ffprobe can mistake some for raw audio (a ZIP as AMR)
        if header.startswith(magic):
            raise MediaInputError(_("该文件是 %(name)s，不是音视频文件，请上传视频或音频。", name=name))
    argv = [
        ffprobe_bin,
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        *INPUT_GUARDS,
        str(path),
    ]
    result = _run(argv, timeout)
    stderr = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        logger.info("ffprobe refused %s (exit %s): %s", path, result.returncode, stderr[-500:])
        raise error_for_ffprobe(result.returncode, stderr, header)
    try:
        data = json.loads(result.stdout or b"{}")
    except ValueError as exc:
        raise MediaInputError(_("无法读取该文件，文件可能已损坏或不是音视频文件。")) from exc
    score = int(_float((data.get("format") or {}).get("probe_score")) or 100)
    if score < MIN_PROBE_SCORE:
        logger.info(
            "ffprobe only guessed %s as %s (score %s)", path, data["format"].get("format_name"), score
        )
        raise MediaInputError(UNRECOGNISED)
    format_name = (data.get("format") or {}).get("format_name") or ""
    if not set(format_name.split(",")) & set(ALLOWED_DEMUXERS):  # the whitelist's second line
        logger.info("ffprobe read %s as %s, which is not taken", path, format_name)
        raise MediaInputError(UNSUPPORTED)
    facts = parse_probe(data)
    check_facts(facts, limits)
    _check_complete(path, facts, ffprobe_bin, timeout)
    return facts
