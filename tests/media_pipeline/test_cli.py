"""``flask media ...`` and the sweeper."""

import json
import os
import time
from datetime import timedelta

from app.core.clock import utcnow
from app.extensions import db
from media_pipeline import services
from media_pipeline.models import AssetStatus, MediaAsset, MediaUpload
from tests.helpers import config_set, count


def _found(location: str) -> bool:
    """The operator finds the file where the JSON says: an absolute path, or with media on S3 an
    ``s3://bucket/key`` URL of an object that is there."""
    if location.startswith("s3://"):
        return services.media_store().is_file(location.split("/", 3)[3])
    return os.path.isabs(location) and os.path.isfile(location)


def test_ingest_then_show_json(runner, create_user, media_files):
    owner = create_user("trainer")
    # In the test configuration Celery is eager: the queued job runs right here.
    result = runner.invoke(
        args=["media", "ingest", str(media_files.get("portrait.mp4")), "--owner", owner.employee_no]
    )
    assert result.exit_code == 0, result.output
    asset_id = int(result.output.strip().splitlines()[-1])
    shown = runner.invoke(args=["media", "show", str(asset_id), "--json"])
    data = json.loads(shown.output)
    assert data["id"] == asset_id
    assert data["status"] == "ready"
    assert data["error"] is None
    assert (data["width"], data["height"]) == (540, 960)
    assert data["has_audio"] is True
    assert abs(data["duration"] - 3.0) < 0.1
    assert [(r["kind"], r["height"]) for r in data["renditions"]] == [
        ("hls", 640),
        ("hls", 960),
        ("mp4", 960),
    ]
    assert all(_found(r["path"]) for r in data["renditions"])
    assert all(r["bandwidth"] > 0 for r in data["renditions"])
    assert _found(data["master_playlist"])
    assert _found(data["poster"])
    assert db.session.get(MediaAsset, asset_id).owner_id == owner.id


def test_ingest_refuses_bad_files_with_the_reason(runner, media_files, no_queue):
    result = runner.invoke(args=["media", "ingest", str(media_files.get("zip_renamed.mp4"))])
    assert result.exit_code != 0
    assert "ZIP" in result.output
    empty = runner.invoke(args=["media", "ingest", str(media_files.get("empty.mp4"))])
    assert empty.exit_code != 0
    assert "空的" in empty.output
    unknown_owner = runner.invoke(
        args=["media", "ingest", str(media_files.get("tiny.3gp")), "--owner", "NOPE"]
    )
    assert unknown_owner.exit_code != 0
    assert no_queue == []


def test_process_and_retranscode(runner, ingest, no_queue):
    asset = ingest("no_audio.mp4")
    result = runner.invoke(args=["media", "process", str(asset.id)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("ready")
    first = db.session.get(MediaAsset, asset.id, populate_existing=True).output_dir
    again = runner.invoke(args=["media", "retranscode", str(asset.id)])
    assert again.exit_code == 0
    assert no_queue == [asset.id]
    assert db.session.get(MediaAsset, asset.id, populate_existing=True).status == AssetStatus.TRANSCODING
    assert runner.invoke(args=["media", "process", str(asset.id)]).exit_code == 0
    assert db.session.get(MediaAsset, asset.id, populate_existing=True).output_dir != first
    assert runner.invoke(args=["media", "show", "999999", "--json"]).exit_code != 0


def test_sweep_requeues_stuck_assets_and_cleans_up(runner, app, ingest, create_user, no_queue):
    stuck = ingest("tiny.3gp")  # the broker was down at upload time: queued but never run
    stuck.queued_at = utcnow() - timedelta(hours=2)
    recent = ingest("no_audio.mp4")  # queued a moment ago: left alone
    leased = ingest("hevc.mov")  # a worker is on it
    leased.queued_at = utcnow() - timedelta(hours=2)
    leased.lease_holder, leased.lease_expires_at = "w", utcnow() + timedelta(minutes=1)
    worn = ingest("vfr.webm")  # tried too often
    worn.queued_at, worn.attempts = utcnow() - timedelta(hours=2), 5
    owner = create_user("trainer")
    old_upload = services.start_upload(owner, "old.mp4", 100)
    db.session.commit()
    db.session.execute(
        db.update(MediaUpload)
        .where(MediaUpload.id == old_upload.id)
        .values(updated_at=utcnow() - timedelta(days=3))
    )
    store = services.media_store()
    orphan = store.new_work_dir(stuck.id)  # left by a killed worker
    past = time.time() - 3600
    os.utime(orphan, (past, past))
    db.session.commit()

    result = runner.invoke(args=["media", "sweep"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["requeued"] == [stuck.id]
    assert no_queue == [stuck.id]
    assert report["failed"] == [worn.id]
    assert report["uploads_removed"] == 1
    assert count(MediaUpload, MediaUpload.id == old_upload.id) == 0
    assert not orphan.exists()
    assert recent.id not in report["requeued"]
    assert leased.id not in report["requeued"]
    # a second sweep right away changes nothing (idempotent)
    again = json.loads(runner.invoke(args=["media", "sweep"]).output.strip().splitlines()[-1])
    assert again["requeued"] == []
    assert again["failed"] == []


def test_originals_are_removed_after_the_retention_period(app, processed):
    _outcome, asset = processed("tiny.3gp")
    store, original = services.media_store(), asset.original_path
    asset.finished_at = utcnow() - timedelta(days=40)
    db.session.commit()
    with config_set(app, MEDIA_ORIGINAL_RETENTION_DAYS=0):
        services.sweep()
    assert store.is_file(original)  # 0 keeps originals forever
    with config_set(app, MEDIA_ORIGINAL_RETENTION_DAYS=30):
        report = services.sweep()
    db.session.commit()
    assert report.originals_removed == 1
    assert not store.is_file(original)
    asset = db.session.get(MediaAsset, asset.id, populate_existing=True)
    assert asset.original_path is None
    assert asset.status == AssetStatus.READY
