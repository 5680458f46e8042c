"""ffprobe: parsing its facts, mapping its failures, and refusing every kind of bad file."""

import pytest

from app.extensions import db
from media_pipeline import services
from media_pipeline.models import AssetStatus, MediaAsset
from media_pipeline.probe import (
    MediaInputError,
    MediaToolError,
    ProbeLimits,
    error_for_ffprobe,
    parse_probe,
    probe_file,
)
from tests.helpers import count


def stream(index, kind, **fields):
    return {"index": index, "codec_type": kind, **fields}


def test_rotation_comes_from_the_display_matrix_or_the_legacy_tag():
    matrix = stream(0, "video", width=1280, height=720, side_data_list=[{"rotation": -90}])
    assert parse_probe({"format": {"duration": "2"}, "streams": [matrix]}).rotation == 90
    tag = stream(0, "video", width=1280, height=720, tags={"rotate": "270"})
    facts = parse_probe({"format": {"duration": "2"}, "streams": [tag]})
    assert facts.rotation == 270
    assert facts.display_size == (720, 1280)


def test_a_cover_picture_is_not_a_video():
    cover = stream(1, "video", width=300, height=300, disposition={"attached_pic": 1})
    facts = parse_probe(
        {"format": {"duration": "3"}, "streams": [stream(0, "audio", codec_name="mp3"), cover]}
    )
    assert not facts.has_video
    assert facts.has_audio
    assert facts.audio_index == 0


def test_the_default_stream_is_chosen_and_facts_are_read():
    data = {
        "format": {"duration": "10.5", "bit_rate": "800000", "format_name": "mov,mp4"},
        "streams": [
            stream(0, "audio", codec_name="aac", channels=2),
            stream(
                1,
                "video",
                codec_name="hevc",
                width=1920,
                height=1080,
                pix_fmt="yuv420p10le",
                color_transfer="arib-std-b67",
                avg_frame_rate="30000/1001",
                r_frame_rate="30000/1001",
                disposition={"default": 1},
            ),
            stream(2, "subtitle", codec_name="mov_text"),
        ],
    }
    facts = parse_probe(data)
    assert (facts.video_index, facts.audio_index) == (1, 0)
    assert facts.bit_depth == 10
    assert facts.is_hdr
    assert facts.needs_tone_mapping
    assert round(facts.frame_rate, 2) == 29.97
    assert not facts.is_variable_frame_rate
    assert facts.bit_rate == 800_000
    assert facts.duration == 10.5


def test_subtitles_or_data_alone_are_refused():
    with pytest.raises(MediaInputError, match="没有视频或音频"):
        parse_probe({"format": {"duration": "4"}, "streams": [stream(0, "subtitle"), stream(1, "data")]})


@pytest.mark.parametrize(
    ("returncode", "stderr", "header", "kind", "message"),
    [
        (1, "x.mp4: Invalid data found when processing input", b"\x00" * 16, MediaInputError, "无法识别"),
        (1, "moov atom not found", b"\x00\x00\x00\x20ftypisom", MediaInputError, "不完整"),
        (1, "moov atom not found", b"%PDF-1.4\n", MediaInputError, "PDF"),
        (1, "moov atom not found", b"PK\x03\x04", MediaInputError, "ZIP"),
        (1, "moov atom not found", b"\x8a\x13garbage", MediaInputError, "无法识别"),
        (1, "stream 0, offset 0x1234: partial file", b"", MediaInputError, "不完整"),
        (1, "x: No such file or directory", b"", MediaToolError, "无法读取"),
        (-9, "", b"", MediaToolError, "信号"),
        (1, "something new", b"", MediaInputError, "无法读取"),
    ],
)
def test_ffprobe_failures_become_messages_a_trainer_understands(returncode, stderr, header, kind, message):
    error = error_for_ffprobe(returncode, stderr, header)
    assert isinstance(error, kind)
    assert message in str(error)


def test_a_missing_ffprobe_is_a_tool_error_not_bad_input(media_files):
    with pytest.raises(MediaToolError):
        probe_file(media_files.get("no_audio.mp4"), "/nonexistent/ffprobe", 10, ProbeLimits(60, 8192))


LIMITS = ProbeLimits(max_duration=20, max_dimension=8192)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.mp4", "空的"),
        ("pdf_renamed.mp4", "PDF"),
        ("zip_renamed.mp4", "ZIP"),
        ("random.mp4", "无法识别"),
        ("truncated.mp4", "不完整"),
        ("truncated_moov_last.mp4", "不完整"),
        ("subtitles_only.mkv", "没有视频或音频"),
        ("too_long.mp4", "超过上限"),
        ("absurd.mkv", "尺寸"),
    ],
)
def test_bad_files_are_refused_with_a_clear_chinese_message(media_files, name, message):
    with pytest.raises(MediaInputError, match=message):
        probe_file(media_files.get(name), "ffprobe", 30, LIMITS)


@pytest.mark.parametrize(
    "name",
    [
        "pdf_renamed.mp4",
        "zip_renamed.mp4",
        "random.mp4",
        "truncated.mp4",
        "subtitles_only.mkv",
        "too_long.mp4",
        "absurd.mkv",
    ],
)
def test_bad_files_become_failed_assets_and_no_job(media_files, name):
    queued: list[int] = []
    asset = services.ingest_file(
        media_files.get(name), name, None, None, move=False, commit=db.session.commit, enqueue=queued.append
    )
    assert asset.status == AssetStatus.FAILED
    assert asset.error
    assert queued == []
    assert count(MediaAsset, MediaAsset.status == AssetStatus.TRANSCODING) == 0


def test_good_files_are_probed_and_ready_to_queue(media_files):
    facts = probe_file(media_files.get("rotated.mp4"), "ffprobe", 30, LIMITS)
    assert (facts.width, facts.height, facts.display_size) == (1280, 720, (720, 1280))
    audio = probe_file(media_files.get("audio_only.mp3"), "ffprobe", 30, LIMITS)
    assert audio.has_audio
    assert not audio.has_video


class OpenDetector:
    """A named pipe standing where an upload's playlist points: if any process opens it to read, the
    writer blocked on its other end wakes and says so. Nothing is ever written to it."""

    def __init__(self, path):
        import os
        import threading

        self.path = path
        os.mkfifo(path)
        self.opened = threading.Event()
        self._thread = threading.Thread(target=self._wait_for_a_reader, daemon=True)
        self._thread.start()

    def _wait_for_a_reader(self):
        with open(self.path, "wb"):  # blocks until a reader opens the pipe
            self.opened.set()

    def close(self):
        import os

        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)  # release the writer if nobody did
        self._thread.join(timeout=10)
        os.close(fd)


def _hls(target: str) -> bytes:
    return f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:3,\n{target}\n#EXT-X-ENDLIST\n".encode()


def _ffconcat(target: str) -> bytes:
    return f"ffconcat version 1.0\nfile '{target}'\n".encode()


@pytest.mark.parametrize(
    ("playlist", "absolute"),
    [(_hls, True), (_hls, False), (_ffconcat, False)],
    ids=["hls-absolute", "hls-relative", "ffconcat-relative"],
)
def test_finding10_a_playlist_named_mp4_is_refused_and_what_it_names_is_never_opened(
    tmp_path, playlist, absolute
):
    detector = OpenDetector(tmp_path / "other_asset_original.mp4")
    upload = tmp_path / "lesson.mp4"
    upload.write_bytes(playlist(str(detector.path) if absolute else detector.path.name))
    queued: list[int] = []
    try:
        with pytest.raises(MediaInputError, match="播放列表"):
            probe_file(upload, "ffprobe", 10, LIMITS)
        asset = services.ingest_file(
            upload, "lesson.mp4", None, None, move=False, commit=db.session.commit, enqueue=queued.append
        )
        assert asset.status == AssetStatus.FAILED
        assert "播放列表" in asset.error
        assert queued == []
        assert not detector.opened.is_set()
    finally:
        detector.close()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (
            "subtitles.mp4",
            "1\n00:00:00,000 --> 00:00:02,000\n学习\n\n2\n00:00:02,000 --> 00:00:04,000\n党章\n".encode(),
        ),
        ("playlist_after_a_bom.mp4", b"\xef\xbb\xbf" + _hls("other.mp4")),
    ],
)
def test_finding10_only_the_expected_containers_are_opened(tmp_path, name, content):
    """What the signature check does not name is left to ffprobe's demuxer whitelist: a subtitle file
    (ffprobe's ``srt``) or a playlist behind a byte-order mark is no container the pipeline takes."""
    upload = tmp_path / name
    upload.write_bytes(content)
    with pytest.raises(MediaInputError, match="无法识别"):
        probe_file(upload, "ffprobe", 10, LIMITS)


def test_finding10_ffprobe_and_ffmpeg_are_told_to_read_local_files_of_the_expected_containers(tmp_path):
    from media_pipeline.ladder import plan_ladder
    from media_pipeline.probe import ALLOWED_DEMUXERS, ProbeFacts
    from media_pipeline.transcode import TranscodeSettings, build_command

    facts = ProbeFacts(duration=10, video_index=0, audio_index=1, width=640, height=360, frame_rate=25)
    argv = build_command(tmp_path / "in.mp4", plan_ladder(facts), tmp_path, TranscodeSettings())
    source = argv.index("-i")
    guards = argv[:source]
    assert guards[guards.index("-protocol_whitelist") + 1] == "file"
    assert set(guards[guards.index("-format_whitelist") + 1].split(",")) == set(ALLOWED_DEMUXERS)
    assert not {"hls", "concat", "image2", "tty", "srt"} & set(ALLOWED_DEMUXERS)
