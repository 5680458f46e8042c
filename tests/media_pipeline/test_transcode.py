"""Real ffmpeg on real (generated) media; every output checked with ffprobe."""

import json
import re
import subprocess
from pathlib import Path

import pytest

from app.core.signals import media_failed, media_ready
from app.extensions import db
from media_pipeline import services
from media_pipeline.copyable import source_is_copyable
from media_pipeline.ladder import plan_ladder
from media_pipeline.models import AssetStatus, MediaAsset, RenditionKind
from media_pipeline.probe import ProbeFacts
from media_pipeline.transcode import read_master
from tests.helpers import stored_path
from tests.media_pipeline.conftest import ffprobe


def decoded_seconds(path: Path) -> float:
    """How far ffmpeg gets reading ``path`` to the end (a variant "plays to the end")."""
    result = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-nostdin",
            "-i",
            str(path),
            "-map",
            "0",
            "-f",
            "null",
            "-progress",
            "pipe:1",
            "-",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr.lower(), result.stderr
    times = [int(v) for v in re.findall(r"out_time_us=(\d+)", result.stdout)]
    return max(times) / 1e6


def video_stream(info: dict) -> dict | None:
    return next((s for s in info["streams"] if s["codec_type"] == "video"), None)


def audio_streams(info: dict) -> list[dict]:
    return [s for s in info["streams"] if s["codec_type"] == "audio"]


def check_outputs(asset: MediaAsset) -> None:
    """The acceptance list: heights as planned and never above the source, upright, H.264 High
    8-bit yuv420p + AAC stereo, durations within 0.5 s, the master lists every variant, each
    variant reads through to the end, poster and thumbnails present."""
    assert asset.status == AssetStatus.READY, asset.error
    store = services.media_store()
    base = stored_path(asset.output_dir)
    facts = ProbeFacts(**asset.probe)
    copied = source_is_copyable(facts, stored_path(asset.original_path), "ffprobe", 60)
    plan = plan_ladder(facts, copy=copied)
    hls = [r for r in asset.renditions if r.kind == RenditionKind.HLS]

    master = read_master(base / asset.master_playlist)
    assert sorted(uri for uri, _ in master) == sorted(r.path for r in hls)
    assert all(bandwidth > 0 for _uri, bandwidth in master)

    if plan.has_video:
        assert [(r.width, r.height) for r in hls] == [(p.width, p.height) for p in plan.renditions]
    for rendition in asset.renditions:
        path = base / rendition.path
        info = ffprobe(path)
        video = video_stream(info)
        if plan.has_video:
            assert video["codec_name"] == "h264"
            top = (rendition.width, rendition.height) == (
                plan.renditions[-1].width,
                plan.renditions[-1].height,
            )
            if copied and top:  # the source's own video, as it came (see media_pipeline.copyable)
                assert video["profile"] == facts.video_profile
            else:
                assert video["profile"] == "High"
            assert video["pix_fmt"] == "yuv420p"
            assert (video["width"], video["height"]) == (rendition.width, rendition.height)
            assert rendition.height <= max(asset.display_width, asset.display_height)
            assert min(rendition.width, rendition.height) <= min(asset.display_width, asset.display_height)
            # upright: same orientation as displayed, and no rotation left for players to apply
            assert (rendition.width > rendition.height) == (asset.display_width > asset.display_height)
            assert not any("rotation" in side for side in video.get("side_data_list", []))
        else:
            assert video is None
        audio = audio_streams(info)
        if asset.has_audio:
            assert len(audio) == 1
            assert audio[0]["codec_name"] == "aac"
            assert audio[0]["channels"] == 2
        else:
            assert audio == []
        assert abs(float(info["format"]["duration"]) - asset.duration) <= 0.5, rendition.path
        if rendition.kind == RenditionKind.HLS:
            assert abs(decoded_seconds(path) - asset.duration) <= 0.5, rendition.path
            text = path.read_text()
            assert "#EXT-X-ENDLIST" in text
            assert "#EXT-X-PLAYLIST-TYPE:VOD" in text
            durations = [float(d) for d in re.findall(r"#EXTINF:([\d.]+)", text)]
            assert all(d <= 4.5 for d in durations)  # ~4 s segments, 2 GOPs each

    fallback = asset.fallback()
    assert fallback.kind == (RenditionKind.MP4 if plan.has_video else RenditionKind.AUDIO)
    if plan.has_video:
        assert fallback.height == plan.renditions[plan.fallback_index].height
        poster = video_stream(ffprobe(base / asset.poster))
        assert poster["codec_name"] == "mjpeg"
        assert len(asset.thumbnails) == len(plan.thumbnail_times)
        assert all((base / t).is_file() for t in asset.thumbnails)
    else:
        assert fallback.path.endswith(".m4a")
        assert asset.poster is None
    assert not store.work_dirs(asset.id)  # nothing left behind


@pytest.mark.parametrize(
    ("name", "heights"),
    [
        ("landscape.mp4", [360, 540, 720]),
        ("portrait.mp4", [640, 960]),
        ("no_audio.mp4", [360]),
        ("tiny.3gp", [144]),
        ("vfr.webm", [360]),
        ("hevc.mov", [360]),
        ("hdr10bit.mov", [360]),
        ("audio_only.mp3", []),
    ],
)
def test_each_kind_of_source_becomes_a_playable_ladder(processed, name, heights):
    outcome, asset = processed(name)
    assert outcome == "ready", asset.error
    assert [r.height for r in asset.hls_variants() if r.height] == heights
    check_outputs(asset)


def test_phone_video_with_rotation_metadata_comes_out_upright(processed):
    outcome, asset = processed("rotated.mp4")
    assert outcome == "ready"
    assert (asset.width, asset.height, asset.display_width, asset.display_height) == (1280, 720, 720, 1280)
    check_outputs(asset)
    base = stored_path(asset.output_dir)
    for rendition in asset.renditions:
        # Coded red above blue, turned as players turn it: red on the left, blue on the right.
        pixels = subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-i",
                str(base / rendition.path),
                "-frames:v",
                "1",
                "-vf",
                "format=rgb24,scale=2:1",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "rgb24",
                "-",
            ],
            capture_output=True,
            check=True,
        ).stdout
        (r1, _g1, b1, r2, _g2, b2) = pixels[:6]
        assert r1 > 150 > b1, (rendition.path, tuple(pixels[:6]))  # left: red
        assert b2 > 150 > r2, (rendition.path, tuple(pixels[:6]))  # right: blue


def test_hdr_input_is_tone_mapped_to_sdr_bt709(processed):
    outcome, asset = processed("hdr10bit.mov")
    assert outcome == "ready"
    assert asset.needs_tone_mapping
    video = video_stream(ffprobe(stored_path(asset.output_dir) / asset.hls_variants()[0].path))
    assert video["pix_fmt"] == "yuv420p"
    assert video.get("color_transfer") == "bt709"


def test_keyframes_line_up_across_renditions_every_two_seconds(processed, app, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_COPY_COMPLIANT", False)  # every rung encoded
    _outcome, asset = processed("landscape.mp4")
    base = stored_path(asset.output_dir)
    keyframes = []
    for rendition in asset.hls_variants():
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
                str(base / rendition.path),
            ],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
        packets = json.loads(out)["packets"]
        start = float(packets[0]["pts_time"])
        keyframes.append([round(float(p["pts_time"]) - start, 2) for p in packets if "K" in p["flags"]])
    assert keyframes[0] == [0.0, 2.0]
    assert all(k == keyframes[0] for k in keyframes)


def test_ready_and_failed_signals_are_sent(processed, ingest):
    events = []

    def ready(sender, **extra):
        events.append(("ready", extra["asset_id"]))

    def failed(sender, **extra):
        events.append(("failed", extra["asset_id"], extra["error"]))

    media_ready.connect(ready)
    media_failed.connect(failed)
    try:
        _outcome, asset = processed("no_audio.mp4")
        bad = ingest("pdf_renamed.mp4")
    finally:
        media_ready.disconnect(ready)
        media_failed.disconnect(failed)
    assert ("ready", asset.id) in events
    assert ("failed", bad.id, bad.error) in events


def test_a_run_killed_mid_way_leaves_the_original_and_runs_again(ingest, monkeypatch):
    asset = ingest("no_audio.mp4")
    original = stored_path(asset.original_path)
    before = original.read_bytes()

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("media_pipeline.services.processing.run_stage", crash)
    with pytest.raises(OSError, match="No space left"):
        services.process_asset(asset.id, holder="w1", commit=db.session.commit)
    asset = db.session.get(MediaAsset, asset.id, populate_existing=True)
    assert asset.status == AssetStatus.TRANSCODING
    assert asset.output_dir is None
    assert asset.lease_holder is None  # released, so a retry can start at once
    assert not services.media_store().work_dirs(asset.id)
    monkeypatch.undo()
    assert services.process_asset(asset.id, holder="w2", commit=db.session.commit) == "ready"
    assert original.read_bytes() == before
    assert db.session.get(MediaAsset, asset.id, populate_existing=True).attempts == 2


def test_a_live_lease_keeps_a_second_worker_out_until_it_lapses(ingest, app):
    from datetime import timedelta

    from app.core.clock import utcnow

    asset = ingest("no_audio.mp4")
    assert services.acquire_lease(asset.id, "worker-a", 60)
    db.session.commit()
    assert services.process_asset(asset.id, holder="worker-b", commit=db.session.commit) == "busy"
    asset = db.session.get(MediaAsset, asset.id, populate_existing=True)
    asset.lease_expires_at = utcnow() - timedelta(seconds=1)  # worker-a died; its lease ran out
    db.session.commit()
    assert services.process_asset(asset.id, holder="worker-b", commit=db.session.commit) == "ready"
    assert services.process_asset(asset.id, holder="worker-c", commit=db.session.commit) == "done"
