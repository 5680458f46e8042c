"""Issue 20: time to publish. A compliant H.264 top rung is copied (ffprobe-checked), the first
playable rendition is published before the rest, a crash keeps what was published, a lapsed
lease is re-queued by the next sweep, and the trainer reads progress, time left and "resuming"."""

import json
import re
import subprocess
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from app.core.clock import utcnow
from app.extensions import db
from media_pipeline import services
from media_pipeline.copyable import keyframe_times, source_is_copyable, video_is_copyable
from media_pipeline.models import AssetStatus, MediaAsset
from media_pipeline.probe import ProbeFacts, ProbeLimits, probe_file
from media_pipeline.staging import read_entries
from tests.helpers import get_media, same_stored_file, stored_path
from tests.media_pipeline.conftest import FFMPEG
from tests.media_pipeline.test_transcode import check_outputs


def _make(folder: Path, name: str, *args: str) -> Path:
    path = folder / name
    if not path.exists():
        subprocess.run([*FFMPEG, *args, str(path)], check=True, capture_output=True, timeout=120)
    return path


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    """8 s sources: a browser-ready H.264 (Main, keyframes every 2 s, AAC stereo 48 kHz), one
    whose keyframes are 6+ s apart (a long GOP: plays as it is, but cannot be cut into segments),
    and an MPEG-4 Part 2 one (no browser plays it as it is)."""
    folder = tmp_path_factory.mktemp("publish")
    common = ("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=8")
    audio = ("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=8")
    x264 = ("-c:v", "libx264", "-preset", "superfast", "-pix_fmt", "yuv420p", "-profile:v", "main")
    aac = ("-c:a", "aac", "-ac", "2", "-ar", "48000", "-shortest")
    return {
        "compliant": _make(folder, "compliant.mp4", *common, *audio, *x264, "-g", "60", *aac),
        "long_gop": _make(folder, "long_gop.mp4", *common, *audio, *x264, "-g", "240", *aac),
        "mpeg4": _make(folder, "mpeg4.mp4", *common, *audio, "-c:v", "mpeg4", "-q:v", "5", *aac),
    }


def _ingest(path: Path, name: str = "lesson.mp4") -> MediaAsset:
    return services.ingest_file(
        path, name, None, None, move=False, commit=db.session.commit, enqueue=lambda _id: None
    )


def _process(asset_id: int, holder: str = "test") -> tuple[str, MediaAsset]:
    outcome = services.process_asset(asset_id, holder=holder, commit=db.session.commit)
    return outcome, db.session.get(MediaAsset, asset_id, populate_existing=True)


def _packets(path: Path) -> list[dict]:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts_time,flags",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        check=True,
        text=True,
        timeout=60,
    ).stdout
    return json.loads(out)["packets"]


def _keyframes(playlist: Path) -> list[float]:
    packets = _packets(playlist)
    start = float(packets[0]["pts_time"])
    return [round(float(p["pts_time"]) - start, 2) for p in packets if "K" in p["flags"]]


# --- item 2: copy what is already right ------------------------------------------------------------------


def test_a_compliant_h264_source_gets_a_copied_top_rung_and_aligned_lower_rungs(app, sources):
    source = sources["compliant"]
    assert source_is_copyable(
        probe_file(source, "ffprobe", 60, ProbeLimits.from_config(app.config)), source, "ffprobe", 60
    )
    outcome, asset = _process(_ingest(source).id)
    assert outcome == "ready"
    check_outputs(asset)
    base = stored_path(asset.output_dir)
    variants = {r.height: base / r.path for r in asset.hls_variants()}
    assert sorted(variants) == [360, 540, 720]
    top = variants[720]
    info = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=profile",
            "-of",
            "csv=p=0",
            str(top),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert set(info.split()) == {"Main"}  # the source's own stream, not our High-profile encode
    # Every variant says what it holds, the copied one too (avc1.4d… is Main profile).
    codecs = {
        uri: re.search(r'CODECS="([^"]+)"', attrs)
        for uri, attrs in read_entries(base / asset.master_playlist).items()
    }
    assert all(codecs.values()), codecs
    copied = next(r.path for r in asset.hls_variants() if r.height == 720)
    assert codecs[copied].group(1).startswith("avc1.4d")
    # Every segment of the copied rung starts on a keyframe ...
    for segment in sorted((top.parent).glob("seg_*.ts")):
        assert "K" in _packets(segment)[0]["flags"], segment.name
    # ... at the source's keyframe times, and the encoded rungs have keyframes at the same times.
    source_keys = [round(t, 2) for t in keyframe_times(source, "ffprobe", 60)]
    assert _keyframes(top) == source_keys == [0.0, 2.0, 4.0, 6.0]
    assert _keyframes(variants[360]) == _keyframes(variants[540]) == source_keys
    # Segment boundaries line up too: the same segment durations in every variant.
    durations = {h: read_durations(p) for h, p in variants.items()}
    assert durations[360] == durations[540] == durations[720]


def read_durations(playlist: Path) -> list[str]:
    return [line for line in playlist.read_text().splitlines() if line.startswith("#EXTINF")]


def test_a_long_gop_source_is_encoded_not_copied(app, sources):
    source = sources["long_gop"]
    facts = probe_file(source, "ffprobe", 60, ProbeLimits.from_config(app.config))
    assert video_is_copyable(facts)  # everything but the keyframes would do
    assert not source_is_copyable(facts, source, "ffprobe", 60)
    outcome, asset = _process(_ingest(source).id)
    assert outcome == "ready"
    check_outputs(asset)  # every rung High profile, including the top: encoded
    base = stored_path(asset.output_dir)
    top = next(r for r in asset.hls_variants() if r.height == 720)
    assert _keyframes(base / top.path) == [0.0, 2.0, 4.0, 6.0]  # our GOP, not the source's


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"pix_fmt": "yuv420p10le", "bit_depth": 10}, "10-bit"),
        ({"video_codec": "hevc", "video_profile": "Main"}, "HEVC"),
        ({"width": 3840, "height": 2160}, "4K"),
        ({"video_profile": "High 4:4:4 Predictive"}, "a profile browsers do not play"),
        ({"rotation": 90}, "rotation metadata"),
        ({"is_variable_frame_rate": True}, "variable frame rate"),
        ({"video_bit_rate": 25_000_000}, "a bit rate members cannot stream"),
        ({"pix_fmt": "yuvj420p"}, "full-range"),
    ],
)
def test_the_copy_rule_refuses_sources_browsers_should_not_get_as_they_are(change, why):
    good = ProbeFacts(
        duration=60.0,
        video_index=0,
        width=1920,
        height=1080,
        video_codec="h264",
        pix_fmt="yuv420p",
        video_profile="High",
        frame_rate=30.0,
        video_bit_rate=4_000_000,
    )
    assert video_is_copyable(good)
    assert not video_is_copyable(replace(good, **change)), why


def test_hevc_and_10_bit_files_are_encoded(processed):
    for name in ("hevc.mov", "hdr10bit.mov"):
        outcome, asset = processed(name)
        assert outcome == "ready"
        check_outputs(asset)  # all High profile 8-bit yuv420p: nothing copied


# --- items 1 and 4: watchable first, and a crash keeps what was published ---------------------------------


def test_the_first_rung_is_published_first_and_a_crash_after_it_keeps_it(sources, monkeypatch, client, login):
    asset = _ingest(sources["mpeg4"])
    calls = []
    from media_pipeline import staging

    real = staging.encode_rungs

    def crash_in_the_second_command(*args, **kwargs):
        calls.append(args[4] if len(args) > 4 else kwargs.get("rungs"))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(staging, "encode_rungs", crash_in_the_second_command)
    with pytest.raises(OSError, match="No space left"):
        services.process_asset(asset.id, holder="w1", commit=db.session.commit)
    partial = db.session.get(MediaAsset, asset.id, populate_existing=True)
    assert calls == [[0], [1, 2]]  # 360p alone, then the rest
    assert partial.status == AssetStatus.TRANSCODING
    assert partial.is_playable
    assert partial.output_partial
    assert [r.height for r in partial.hls_variants()] == [360]
    first_folder = stored_path(partial.output_dir)
    assert list(read_entries(first_folder / partial.master_playlist)) == ["360p/index.m3u8"]
    assert services.state_label(partial).startswith("处理进程已重启，正在恢复")  # the lease is free

    monkeypatch.setattr(staging, "encode_rungs", real)
    outcome, done = _process(asset.id, holder="w2")
    assert outcome == "ready"
    assert not done.output_partial
    check_outputs(done)
    final_folder = stored_path(done.output_dir)
    assert final_folder != first_folder
    # 360p was not encoded again: the final folder holds the very same files (hard links).
    for segment in (first_folder / "360p").glob("seg_*.ts"):
        assert same_stored_file(final_folder / "360p" / segment.name, segment)
    assert [r.height for r in done.hls_variants()] == [360, 540, 720]


def test_members_can_play_the_first_rung_while_the_rest_is_made(
    sources, monkeypatch, client, create_user, login
):
    from media_pipeline import staging

    owner = create_user("trainer")
    asset = _ingest(sources["mpeg4"])
    asset.owner_id = owner.id
    db.session.commit()
    real = staging.encode_rungs
    seen = []

    def stop_after_first(*args, **kwargs):
        seen.append(1)
        if len(seen) == 2:
            raise OSError(5, "I/O error")
        return real(*args, **kwargs)

    monkeypatch.setattr(staging, "encode_rungs", stop_after_first)
    with pytest.raises(OSError, match="I/O error"):
        services.process_asset(asset.id, holder="w1", commit=db.session.commit)
    login(owner)
    body = client.get(f"/media/{asset.id}/status").get_json()["data"]
    assert body["status"] == "transcoding"
    assert body["playable"] is True
    assert body["urls"]["master"]
    assert client.get(body["urls"]["master"]).status_code == 200
    page = client.get(f"/media/{asset.id}").get_data(as_text=True)
    assert "media-player" in page


def _streams(path: Path) -> list[dict]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_packets", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        check=True,
        text=True,
        timeout=60,
    ).stdout
    return json.loads(out)["streams"]


def test_a_source_that_plays_as_it_is_is_watchable_at_once_and_the_ladder_follows_in_one_pass(
    sources, monkeypatch, client, create_user, login
):
    """A long-GOP H.264 + AAC file: remuxed (not decoded) into the MP4 members play, then the
    whole ladder in one command; a crash in that command keeps the remux and does not redo it."""
    from media_pipeline import staging

    owner = create_user("trainer")
    asset = _ingest(sources["long_gop"])
    asset.owner_id = owner.id
    db.session.commit()
    real, calls = staging.encode_rungs, []

    def crash_in_the_ladder(*args, **kwargs):
        calls.append(args[4] if len(args) > 4 else kwargs.get("rungs"))
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(staging, "encode_rungs", crash_in_the_ladder)
    with pytest.raises(OSError, match="No space left"):
        services.process_asset(asset.id, holder="w1", commit=db.session.commit)
    partial = db.session.get(MediaAsset, asset.id, populate_existing=True)
    assert partial.is_playable
    assert partial.output_partial
    assert partial.master_playlist is None
    assert partial.hls_variants() == []
    remux = stored_path(partial.output_dir) / partial.fallback().path
    source_streams, remux_streams = _streams(sources["long_gop"]), _streams(remux)
    # Stream copies: the same codecs and the very same number of packets, nothing re-encoded.
    assert [(s["codec_name"], s["nb_read_packets"]) for s in remux_streams] == [
        (s["codec_name"], s["nb_read_packets"]) for s in source_streams
    ]
    assert remux.read_bytes()[4:8] == b"ftyp"
    assert b"moov" in remux.read_bytes()[:4096]

    login(owner)
    body = client.get(f"/media/{asset.id}/status").get_json()["data"]
    assert body["playable"] is True
    assert body["urls"]["master"] is None
    assert body["state_label"].startswith(("可观看", "处理进程已重启"))
    played = get_media(client, body["urls"]["fallback"])  # with S3, from the bucket
    assert played.status_code == 200
    assert played.mimetype == "video/mp4"

    monkeypatch.setattr(staging, "encode_rungs", real)
    outcome, done = _process(asset.id, holder="w2")
    assert outcome == "ready"
    assert calls == [[0, 1, 2]]  # the first run's one ladder command; the resumed run did not remux again
    assert not done.output_partial
    check_outputs(done)  # the whole ladder, encoded, with the usual fallback made from the 720p rung
    assert [r.height for r in done.hls_variants()] == [360, 540, 720]


# --- item 4: the sweep re-queues a dead run's job at once ------------------------------------------------


def test_a_lapsed_lease_is_requeued_by_the_next_sweep_not_after_half_an_hour(ingest, app):
    dead = ingest("tiny.3gp")  # queued a minute ago, its worker killed mid-transcode
    dead.attempts, dead.progress = 1, 26
    dead.lease_holder, dead.lease_expires_at = "host:1:dead", utcnow() - timedelta(seconds=1)
    alive = ingest("no_audio.mp4")  # a live run
    alive.attempts = 1
    alive.lease_holder, alive.lease_expires_at = "host:2:alive", utcnow() + timedelta(seconds=30)
    waiting = ingest("portrait.mp4")  # queued, not started: MEDIA_STUCK_AFTER_SECONDS applies
    db.session.commit()
    assert dead.is_resuming()
    assert "处理进程已重启，正在恢复" in services.state_label(dead)

    report = services.sweep()
    db.session.commit()
    assert report.requeue == [dead.id]
    dead = db.session.get(MediaAsset, dead.id, populate_existing=True)
    assert dead.lease_holder is None  # cleared: the next sweep leaves the new message alone
    assert services.sweep().requeue == []
    assert db.session.get(MediaAsset, alive.id).lease_holder == "host:2:alive"
    assert waiting.id not in report.requeue


def test_the_sweep_runs_every_minute_by_default(app):
    entry = app.extensions["hongke_beat"]["media-sweep"]
    assert entry["schedule"] == 60.0
    assert entry["options"] == {"queue": "default"}


# --- item 5: progress that means something ----------------------------------------------------------------


def test_the_trainer_reads_percentage_and_time_left(ingest, clock):
    asset = ingest("no_audio.mp4")
    asset.attempts, asset.progress = 1, 40
    asset.lease_holder, asset.lease_expires_at = "w", utcnow() + timedelta(seconds=30)
    asset.estimated_done_at = utcnow() + timedelta(seconds=95)
    db.session.commit()
    assert services.state_label(asset) == "转码中 40%，约剩 2 分钟"
    assert asset.seconds_left() == 95
    asset.output_partial, asset.output_dir = True, "assets/1/x"
    assert services.state_label(asset) == "可观看，更高清晰度处理中 40%，约剩 2 分钟"
    asset.estimated_done_at = utcnow() + timedelta(seconds=20)
    assert services.state_label(asset).endswith("约剩 20 秒")


def test_a_run_records_its_progress_and_an_estimated_end(sources, monkeypatch):
    asset = _ingest(sources["long_gop"])
    reports = []
    real = services.renew_lease

    def spy(asset_id, holder, seconds, progress=None, estimated_done_at=None):
        if progress is not None:
            reports.append((progress, estimated_done_at))
        return real(asset_id, holder, seconds, progress, estimated_done_at)

    monkeypatch.setattr("media_pipeline.services.processing.renew_lease", spy)
    monkeypatch.setattr("media_pipeline.services.processing._Run.REPORT_EVERY", 0.0)
    outcome, _asset = _process(asset.id)
    assert outcome == "ready"
    percentages = [p for p, _eta in reports]
    assert percentages == sorted(percentages)
    assert percentages[-1] <= 99
    assert any(eta is not None and eta > utcnow() - timedelta(seconds=5) for _p, eta in reports)
