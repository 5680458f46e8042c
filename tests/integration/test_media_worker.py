"""A real Celery worker over Redis is SIGKILLed mid-transcode; a new worker finishes the job."""

import hashlib
import subprocess
import time

import pytest

from app.extensions import db
from media_pipeline import services
from media_pipeline.models import AssetStatus, MediaAsset
from media_pipeline.tasks import queue_asset
from tests.integration.conftest import wait_for
from tests.media_pipeline.test_transcode import check_outputs

pytestmark = pytest.mark.integration


def _asset(asset_id: int) -> MediaAsset:
    return db.session.get(MediaAsset, asset_id, populate_existing=True)


def test_worker_killed_mid_transcode_leaves_nothing_half_done_and_the_job_runs_again(
    live_app, live_env, celery_worker, tmp_path
):
    # A lease that lapses quickly, so the second worker need not wait two minutes for the dead one's.
    live_env["MEDIA_LEASE_SECONDS"] = "5"
    source = tmp_path / "lesson.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1280x720:rate=30:duration=12",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=330:duration=12",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            str(source),
        ],
        check=True,
    )
    asset = services.ingest_file(
        source, "党课录像.mp4", None, None, move=False, commit=db.session.commit, enqueue=lambda _id: None
    )
    assert asset.status == AssetStatus.TRANSCODING
    asset_id = asset.id
    store = services.media_store()
    original = store.path(asset.original_path)
    digest = hashlib.sha256(original.read_bytes()).hexdigest()
    assert queue_asset(asset_id)
    queued_at = time.monotonic()

    first = celery_worker(extra=("--prefetch-multiplier", "1"))
    assert wait_for(lambda: _asset(asset_id).progress > 0, timeout=90), first.log()
    first.kill()  # SIGKILL to the whole process group: the worker, its pool child and ffmpeg

    killed = _asset(asset_id)
    db.session.rollback()
    assert killed.status == AssetStatus.TRANSCODING
    assert killed.output_dir is None
    assert store.work_dirs(asset_id), "the killed run's work folder is still there"
    assert not (store.root / "assets" / str(asset_id)).exists()

    # kombu's Redis transport gives unacknowledged messages back once they are older than the
    # visibility timeout (8 s here), checking when a worker starts and then only every ~100 s: start
    # the new worker once the dead one's message is old enough, as an operator restarting it would.
    time.sleep(max(0.0, queued_at + int(live_env["CELERY_VISIBILITY_TIMEOUT"]) + 2 - time.monotonic()))
    second = celery_worker(extra=("--prefetch-multiplier", "1"))
    assert wait_for(lambda: _asset(asset_id).status == AssetStatus.READY, timeout=240), second.log()

    done = _asset(asset_id)
    check_outputs(done)  # every rendition complete and playable to the end
    assert done.attempts == 2
    assert done.lease_holder is None
    assert store.work_dirs(asset_id) == []  # the killed run's leftovers were cleared
    assert [p.name for p in store.output_dirs(asset_id)] == [done.output_dir.rsplit("/", 1)[-1]]
    assert hashlib.sha256(original.read_bytes()).hexdigest() == digest  # the original untouched
