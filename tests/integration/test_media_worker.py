"""A real Celery worker's process group is SIGKILLed mid-transcode; a new worker (with beat's
sweeper) finishes the job within minutes, keeping what was published: on the embedded default
(kombu's SQLAlchemy transport over SQLite, which never redelivers a fetched message) and on Redis."""

import hashlib
import subprocess
import time

import pytest

from app.extensions import db
from media_pipeline import services
from media_pipeline.models import AssetStatus, MediaAsset
from media_pipeline.tasks import queue_asset
from tests.helpers import same_stored_file, stored_path
from tests.integration.conftest import wait_for
from tests.media_pipeline.test_transcode import check_outputs

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite-broker", "redis"])
def live_env(request, live_env, tmp_path):
    """The conftest's environment, on each broker. The SQLite broker runs with the embedded
    defaults (45 s lease, a sweep every 60 s); over Redis both are shortened to keep CI quick."""
    if request.param == "sqlite-broker":
        live_env["CELERY_BROKER_URL"] = f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
        live_env["CELERY_RESULT_BACKEND"] = f"db+sqlite:///{tmp_path / 'results.sqlite'}"
    else:
        live_env["MEDIA_LEASE_SECONDS"] = "10"
        live_env["MEDIA_SWEEP_SECONDS"] = "10"
    live_env["CELERY_BEAT_SCHEDULE_FILE"] = str(tmp_path / "beat-schedule")
    return live_env


def _asset(asset_id: int) -> MediaAsset:
    return db.session.get(MediaAsset, asset_id, populate_existing=True)


def _lecture(path) -> None:
    """20 s of 720p in MPEG-4 Part 2 with keyframes 8 s apart: no browser plays it as it is, so the
    360p rung is published first."""
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-y"),
            *("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=20"),
            *("-f", "lavfi", "-i", "sine=frequency=330:duration=20"),
            *("-c:v", "mpeg4", "-q:v", "5", "-pix_fmt", "yuv420p", "-g", "240"),
            *("-c:a", "aac", "-shortest", str(path)),
        ],
        check=True,
    )


def test_worker_killed_mid_transcode_is_resumed_by_the_sweep_keeping_the_published_rung(
    live_app, live_env, celery_worker, tmp_path
):
    source = tmp_path / "lesson.mp4"
    _lecture(source)
    asset = services.ingest_file(
        source, "党课录像.mp4", None, None, move=False, commit=db.session.commit, enqueue=lambda _id: None
    )
    assert asset.status == AssetStatus.TRANSCODING
    asset_id = asset.id
    digest = hashlib.sha256(stored_path(asset.original_path).read_bytes()).hexdigest()
    assert queue_asset(asset_id)

    first = celery_worker(extra=("--prefetch-multiplier", "1"))
    # Watchable first: the lowest rung is published while the rest of the ladder is made.
    assert wait_for(lambda: _asset(asset_id).output_partial, timeout=120, interval=0.1), first.log()
    partial = _asset(asset_id)
    assert partial.is_playable
    assert partial.status == AssetStatus.TRANSCODING
    assert [r.height for r in partial.hls_variants()] == [360]
    early_segment = stored_path(partial.output_dir) / "360p" / "seg_00000.ts"
    first.kill()  # SIGKILL to the whole process group: the worker, its pool child and ffmpeg
    killed_at = time.monotonic()

    killed = _asset(asset_id)
    assert killed.status == AssetStatus.TRANSCODING
    assert killed.lease_holder is not None
    assert killed.progress < 100

    second = celery_worker(extra=("--prefetch-multiplier", "1", "-B"))
    assert wait_for(lambda: _asset(asset_id).status == AssetStatus.READY, timeout=180), second.log()
    assert time.monotonic() - killed_at < 180

    done = _asset(asset_id)
    check_outputs(done)  # every rendition complete and playable to the end, nothing left in work/
    assert done.attempts == 2
    assert done.lease_holder is None
    assert not done.output_partial
    paths = [r.path for r in done.renditions]
    assert len(paths) == len(set(paths)) == 4  # 360p, 540p, 720p and the MP4: no duplicates
    # The rung published before the crash was kept, not encoded again: the same file (one inode;
    # with S3 the same bytes).
    kept = stored_path(done.output_dir) / "360p" / "seg_00000.ts"
    assert same_stored_file(kept, early_segment)
    original = stored_path(done.original_path)
    assert hashlib.sha256(original.read_bytes()).hexdigest() == digest  # the original untouched
