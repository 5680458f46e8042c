"""Issue 20, item 3: a long source is split at keyframes into chunks, each encoded by its own task,
and joined into one ladder with continuous timestamps; a failed chunk is retried alone, and a run
taken over after a dead worker does not redo the chunks already published.

The property is the 12-minute acceptance's, made small: a 48 s source with the threshold at 20 s
and chunks of about 12 s (keyframes every 7 s, so the cuts fall at 14 s and 28 s, off the 4 s
segment grid), at 5 fps and 960x540 (two rungs), so each test takes seconds, not minutes.
"""

import itertools
import json
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from app.config import Config
from app.core.clock import utcnow
from app.extensions import celery, db
from media_pipeline import chunking, services, tasks
from media_pipeline.models import AssetStatus, MediaAsset
from media_pipeline.probe import MediaToolError
from tests.helpers import stored_path
from tests.media_pipeline.conftest import FFMPEG
from tests.media_pipeline.test_transcode import check_outputs

DURATION, FPS = 48, 5


@pytest.fixture(scope="module")
def long_source(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("chunks") / "lecture.mp4"
    subprocess.run(
        [
            *FFMPEG,
            *("-f", "lavfi", "-i", f"testsrc2=size=960x540:rate={FPS}:duration={DURATION}"),
            *("-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={DURATION}"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(7 * FPS)),
            *("-c:a", "aac", "-ac", "2", "-shortest", str(path)),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return path


@pytest.fixture
def chunked(app, monkeypatch):
    for key, value in {
        "MEDIA_MAX_DURATION_SECONDS": 900,
        "MEDIA_CHUNK_THRESHOLD_SECONDS": 20,
        "MEDIA_CHUNK_SECONDS": 12,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    spans: list[tuple[float, float | None]] = []
    real = chunking.encode_chunk

    def spy(source, plan, work_dir, settings, span, on_progress=None, audio=None):
        spans.append(span)
        return real(source, plan, work_dir, settings, span, on_progress, audio)

    monkeypatch.setattr(chunking, "encode_chunk", spy)
    return spans


def _ingest(path: Path) -> MediaAsset:
    return services.ingest_file(
        path, "lecture.mp4", None, None, move=False, commit=db.session.commit, enqueue=lambda _id: None
    )


def _reload(asset_id: int) -> MediaAsset:
    return db.session.get(MediaAsset, asset_id, populate_existing=True)


def _packet_times(path: Path, stream: str) -> list[tuple[float, float]]:
    """(pts, duration) of every packet of a stream, in presentation order, across the playlist."""
    out = subprocess.run(
        [
            "ffprobe",
            *("-v", "error", "-select_streams", stream),
            *("-show_entries", "packet=pts_time,duration_time", "-of", "json", str(path)),
        ],
        capture_output=True,
        check=True,
        text=True,
        timeout=60,
    ).stdout
    packets = json.loads(out)["packets"]
    return sorted((float(p["pts_time"]), float(p.get("duration_time") or 0)) for p in packets)


def _assert_continuous(times: list[tuple[float, float]], frame: float) -> None:
    """No gap and no overlap over one video frame between consecutive packets."""
    for (pts, length), (next_pts, _next) in itertools.pairwise(times):
        step = next_pts - pts
        assert step > 0, f"overlap at {pts:.3f}"
        assert abs(step - (length or step)) <= frame, f"gap or overlap at {pts:.3f}: {step:.3f}"


#: One tick of MPEG-TS's 90 kHz clock, rounded up: the sound must run on without a seam.
AUDIO_SEAM = 0.0001


def _assert_sound_unbroken(times: list[tuple[float, float]]) -> None:
    """Every AAC frame starts where the one before ends: no sound laid over the end of the chunk
    before (each chunk's encoder priming did that, 20–40 ms at every cut: a click) and none missing."""
    for (pts, length), (next_pts, _next) in itertools.pairwise(times):
        assert abs(next_pts - pts - length) <= AUDIO_SEAM, f"sound broken at {pts:.4f}: {next_pts - pts:.4f}"


def test_a_long_source_is_split_at_keyframes_encoded_in_chunks_and_joined_continuously(
    app, long_source, chunked
):
    asset = _ingest(long_source)
    outcome = tasks.process_asset_task.apply(args=[asset.id]).get()
    assert outcome == "chunked"
    asset = _reload(asset.id)
    assert asset.status == AssetStatus.READY, asset.error
    # Three chunks, cut at the source's keyframes (every 7 s) nearest after each 12 s.
    assert sorted(chunked) == [(0.0, 14.0), (14.0, 14.0), (28.0, None)]
    check_outputs(asset)  # rungs, codecs, durations within 0.5 s, poster and thumbnails, fallback
    base = stored_path(asset.output_dir)
    frame = 1 / FPS
    for variant in asset.hls_variants():
        playlist = base / variant.path
        video = _packet_times(playlist, "v:0")
        assert len(video) == DURATION * FPS  # every frame once: none lost or doubled at a cut
        _assert_continuous(video, frame)
        assert abs(video[-1][0] + frame - video[0][0] - DURATION) <= 0.5
        audio = _packet_times(playlist, "a:0")
        _assert_sound_unbroken(audio)
        assert abs(audio[-1][0] + audio[-1][1] - audio[0][0] - DURATION) <= 0.5
    # The chunk folders are gone once the ladder is published.
    assert not services.media_store().exists(f"chunks/{asset.id}")


def test_a_failed_chunk_is_retried_alone(app, long_source, chunked, monkeypatch):
    spy = chunking.encode_chunk
    failed: list[float] = []

    def flaky(source, plan, work_dir, settings, span, on_progress=None, audio=None):
        if span[0] == 14.0 and not failed:
            failed.append(span[0])
            chunked.append(span)
            raise MediaToolError("ffmpeg 异常退出（-9）。")
        return spy(source, plan, work_dir, settings, span, on_progress, audio)

    monkeypatch.setattr(chunking, "encode_chunk", flaky)
    monkeypatch.setattr(tasks, "retry_countdown", lambda retries: 0)
    # Eager tasks then re-run a retried task at once, as a worker would after the countdown.
    monkeypatch.setitem(celery.conf, "task_eager_propagates", False)
    asset = _ingest(long_source)
    tasks.process_asset_task.apply(args=[asset.id])
    asset = _reload(asset.id)
    assert asset.status == AssetStatus.READY, asset.error
    starts = [span[0] for span in chunked]
    assert sorted(starts) == [0.0, 14.0, 14.0, 28.0]  # the failed chunk twice, the others once
    assert asset.attempts == 1  # the asset's run was not started again


def test_a_run_after_a_dead_worker_hands_out_only_the_missing_chunks(app, long_source, chunked):
    asset = _ingest(long_source)
    jobs: list[services.ChunkJob] = []
    outcome = services.process_asset(asset.id, holder="first", commit=db.session.commit, dispatch=jobs.append)
    assert outcome == "chunked"
    assert jobs[-1].todo == [0, 1, 2]
    assert not jobs[-1].join
    split = _reload(asset.id)
    assert split.lease_holder.startswith("chunks:")
    # Watchable before any chunk is encoded: the H.264 source remuxed into the MP4 members play.
    assert split.is_playable
    assert [r.kind.value for r in split.renditions] == ["mp4"]
    remux = stored_path(split.output_dir) / split.fallback().path
    assert len(_packet_times(remux, "v:0")) == DURATION * FPS
    remux_dir = split.output_dir
    assert services.encode_chunk(asset.id, jobs[-1].key, 0, commit=db.session.commit) == "encoded"
    # The worker encoding chunk 1 dies: nothing renews the lease, which lapses.
    db.session.execute(
        db.update(MediaAsset)
        .where(MediaAsset.id == asset.id)
        .values(lease_expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    report = services.sweep()
    db.session.commit()
    assert report.requeue == [asset.id]
    outcome = services.process_asset(
        asset.id, holder="second", commit=db.session.commit, dispatch=jobs.append
    )
    assert outcome == "chunked"
    assert jobs[-1].todo == [1, 2]
    assert _reload(asset.id).output_dir == remux_dir  # the resumed run did not remux again
    key = jobs[-1].key
    assert services.encode_chunk(asset.id, key, 1, commit=db.session.commit) == "encoded"
    assert services.encode_chunk(asset.id, key, 2, commit=db.session.commit) == "join"
    assert services.encode_chunk(asset.id, key, 2, commit=db.session.commit) == "done"  # a redelivery
    assert services.join_asset_chunks(asset.id, key, commit=db.session.commit) == "ready"
    assert [span[0] for span in chunked] == [0.0, 14.0, 28.0]
    asset = _reload(asset.id)
    check_outputs(asset)
    assert asset.lease_holder is None
    assert asset.progress == 100


def test_short_sources_and_copied_top_rungs_stay_in_one_process(app):
    from media_pipeline.ladder import LadderPlan, VideoRendition
    from media_pipeline.services.chunks import wants_chunks

    rung = VideoRendition("360p", 640, 360, 800_000, 1_600_000)
    config = {"MEDIA_CHUNK_THRESHOLD_SECONDS": 600}
    assert wants_chunks(LadderPlan(duration=601, renditions=(rung,)), config)
    assert not wants_chunks(LadderPlan(duration=600, renditions=(rung,)), config)
    assert not wants_chunks(LadderPlan(duration=3600, renditions=(rung,), copy_top=True), config)
    assert not wants_chunks(LadderPlan(duration=3600, audio_index=0), config)
    assert not wants_chunks(
        LadderPlan(duration=3600, renditions=(rung,)), {"MEDIA_CHUNK_THRESHOLD_SECONDS": 0}
    )


def _adts(length: int) -> bytes:
    """One ADTS frame header of ``length`` bytes (one raw block), padded with zeros."""
    header = bytes(
        [0xFF, 0xF1, 0x4C, 0x80 | (length >> 11), (length >> 3) & 0xFF, ((length & 7) << 5) | 0x1F, 0xFC]
    )
    return header + bytes(length - 7)


def test_the_sound_is_cut_between_frames_each_frame_in_one_slice(tmp_path):
    frame = chunking.AAC_FRAME_SAMPLES / 48_000
    whole = tmp_path / "whole.aac"
    whole.write_bytes(b"".join(_adts(10 + i % 5) for i in range(200)))  # 200 frames: 4.27 s of sound
    bounds = [(0.0, 1.5), (1.5, 1.5), (3.0, None)]
    starts = chunking.slice_audio(whole, bounds, tmp_path / "slices")
    slices = [(tmp_path / "slices" / chunking.audio_slice_name(i)).read_bytes() for i in range(3)]
    assert b"".join(slices) == whole.read_bytes()  # every frame once, in order
    counts = [len(chunking.adts_frames(part)) for part in slices]
    # Frame i holds the sound from (i - 1) frames on (the first is the encoder's priming).
    assert counts == [72, 70, 58]
    assert starts[0] == pytest.approx(-frame)
    for (start, _length), offset, first in zip(bounds[1:], starts[1:], (72, 142), strict=True):
        assert offset == pytest.approx((first - 1) * frame - start)
        assert 0 <= offset < frame


@pytest.mark.parametrize("data", [b"not adts at all", _adts(20)[:-3] + b"\x00" * 3 + b"\xff", _adts(20)[:5]])
def test_a_sound_file_that_is_not_adts_is_refused(tmp_path, data):
    with pytest.raises(MediaToolError):
        chunking.adts_frames(data)


def test_chunk_bounds_cut_at_the_first_keyframe_after_each_chunk_length():
    keyframes = [0.0, 7.0, 14.0, 21.0, 28.0, 35.0, 42.0]
    assert chunking.chunk_bounds(keyframes, 48.0, 12.0) == [(0.0, 14.0), (14.0, 14.0), (28.0, None)]
    # A source whose first packet is not at 0 (an edit list): cuts are relative to its start.
    shifted = [t + 1.5 for t in keyframes]
    assert chunking.chunk_bounds(shifted, 48.0, 12.0) == [(0.0, 14.0), (14.0, 14.0), (28.0, None)]
    assert chunking.chunk_bounds([0.0], 700.0, 60.0) == [(0.0, None)]  # one keyframe: one chunk
    assert chunking.chunk_bounds([0.0, 60.0, 62.0], 65.0, 60.0) == [(0.0, None)]  # no short tail


def test_the_sweep_removes_the_chunks_of_an_asset_that_failed(app, long_source, chunked, monkeypatch):
    asset = _ingest(long_source)
    jobs: list[services.ChunkJob] = []
    services.process_asset(asset.id, holder="first", commit=db.session.commit, dispatch=jobs.append)
    store, folder = services.media_store(), f"chunks/{asset.id}"
    assert store.exists(folder)
    services.sweep()
    assert store.exists(folder)  # live: kept
    services.fail_asset(_reload(asset.id), "坏文件")
    db.session.commit()
    monkeypatch.setitem(app.config, "MEDIA_LEASE_SECONDS", 0)
    services.sweep()
    db.session.commit()
    assert not store.exists(folder)
    assert services.encode_chunk(asset.id, jobs[-1].key, 0, commit=db.session.commit) == "done"


def test_a_twelve_minute_source_with_the_default_settings_plays_end_to_end(app, tmp_path, monkeypatch):
    """The acceptance as written: 12 minutes, the shipped threshold (10 min) and chunk length (60 s);
    tiny pictures at 5 fps keep it to seconds of encoding."""
    monkeypatch.setitem(app.config, "MEDIA_MAX_DURATION_SECONDS", 4 * 3600)
    for key in ("MEDIA_CHUNK_THRESHOLD_SECONDS", "MEDIA_CHUNK_SECONDS"):
        monkeypatch.setitem(app.config, key, getattr(Config, key))
    seconds, fps = 12 * 60, 5
    source = tmp_path / "twelve.mp4"
    subprocess.run(
        [
            *FFMPEG,
            *("-f", "lavfi", "-i", f"testsrc2=size=192x108:rate={fps}:duration={seconds}"),
            *("-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(9 * fps)),
            *("-c:a", "aac", "-ac", "2", "-shortest", str(source)),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    asset = _ingest(source)
    assert tasks.process_asset_task.apply(args=[asset.id]).get() == "chunked"
    asset = _reload(asset.id)
    assert asset.status == AssetStatus.READY, asset.error
    assert abs(asset.duration - seconds) <= 0.5
    playlist = stored_path(asset.output_dir) / asset.hls_variants()[0].path
    assert playlist.read_text().count("#EXTINF") >= seconds / 4 - 2  # 4 s segments across 12 chunks
    video = _packet_times(playlist, "v:0")
    assert len(video) == seconds * fps
    _assert_continuous(video, 1 / fps)
    assert abs(video[-1][0] + 1 / fps - video[0][0] - seconds) <= 0.5
    audio = _packet_times(playlist, "a:0")
    _assert_sound_unbroken(audio)
    assert abs(audio[-1][0] + audio[-1][1] - audio[0][0] - seconds) <= 0.5
