"""The sweeper: re-queue lapsed and stuck jobs, remove what nothing references."""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.core.clock import utcnow
from app.extensions import db
from media_pipeline.models import AssetStatus, MediaAsset, MediaUpload
from media_pipeline.services.admission import fail_asset
from media_pipeline.services.common import OLD_OUTPUT_GRACE, media_store
from media_pipeline.services.uploads import discard_upload
from media_pipeline.storage import LocalMediaStore, MediaStore

logger = logging.getLogger(__name__)


# --- the sweeper ----------------------------------------------------------------------------------------


@dataclass
class SweepReport:
    requeue: list[int]
    failed: list[int]
    uploads_removed: int = 0
    work_dirs_removed: int = 0
    outputs_removed: int = 0
    originals_removed: int = 0

    # Alike in shape to search_index's SearchPage.as_json: different fields.
    def as_dict(self) -> dict:
        return {
            "requeued": self.requeue,
            "failed": self.failed,
            "uploads_removed": self.uploads_removed,
            "work_dirs_removed": self.work_dirs_removed,
            "outputs_removed": self.outputs_removed,
            "originals_removed": self.originals_removed,
        }


def _older_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime > seconds
    except OSError:
        return False


def _stored_older_than(store: MediaStore, key: str, seconds: float) -> bool:
    age = store.age_seconds(key)
    return age is not None and age > seconds


def _requeue_pending(now, config, report: SweepReport) -> None:
    """Queue again (a) at once, an asset whose run died: its lease lapsed while still held (a run
    that ends, even by an error, releases it; kombu's SQLAlchemy transport never redelivers a
    fetched message, Redis only after hours); (b) after MEDIA_STUCK_AFTER_SECONDS, an asset
    queued (or uploaded) that never started: a broker that was down, a lost message."""
    stuck_before = now - timedelta(seconds=config["MEDIA_STUCK_AFTER_SECONDS"])
    lapsed = sa.and_(MediaAsset.lease_holder.is_not(None), MediaAsset.lease_expires_at < now)
    never_started = sa.and_(
        MediaAsset.lease_holder.is_(None),
        sa.or_(
            MediaAsset.queued_at < stuck_before,
            sa.and_(MediaAsset.queued_at.is_(None), MediaAsset.updated_at < stuck_before),
        ),
    )
    pending = db.session.scalars(
        sa.select(MediaAsset).where(
            MediaAsset.status.in_([AssetStatus.UPLOADED, AssetStatus.PROBING, AssetStatus.TRANSCODING]),
            sa.or_(lapsed, never_started),
        )
    ).all()
    for asset in pending:
        if asset.attempts >= config["MEDIA_MAX_ATTEMPTS"]:
            fail_asset(asset, "多次处理均未完成（进程可能被中断），请重新上传或联系管理员。")
            report.failed.append(asset.id)
            continue
        # Compare-and-set on what we read: a worker that took the lease meanwhile, or a second
        # sweeper, makes this a no-op. The dead holder is cleared, so the next sweep does not
        # queue it again while the new message waits for a worker.
        claimed = db.session.execute(
            sa.update(MediaAsset)
            .where(
                MediaAsset.id == asset.id,
                MediaAsset.queued_at.is_not_distinct_from(asset.queued_at),
                MediaAsset.lease_holder.is_not_distinct_from(asset.lease_holder),
            )
            .values(queued_at=now, lease_holder=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:
            report.requeue.append(asset.id)
            why = "its worker died (lease lapsed)" if asset.lease_holder else "stuck"
            logger.warning("media asset %s in %s: %s; queued again", asset.id, asset.status, why)


def _remove_leftovers(now, config, report: SweepReport) -> None:
    """Expired uploads, dead runs' work folders, chunk parts of ended assets, and output folders
    no row points to past their grace: replaced ones, and on object storage the prefix a worker
    killed mid-upload (or before its commit) left behind."""
    store = media_store()
    expiry = now - timedelta(hours=config["MEDIA_UPLOAD_EXPIRY_HOURS"])
    for upload in db.session.scalars(
        sa.select(MediaUpload).where(MediaUpload.asset_id.is_(None), MediaUpload.updated_at < expiry)
    ):
        discard_upload(upload)
        report.uploads_removed += 1

    lease = config["MEDIA_LEASE_SECONDS"]
    for work_dir in store.work_dirs():
        asset_id = int(work_dir.name.split("-", 1)[0]) if work_dir.name.split("-", 1)[0].isdigit() else None
        asset = db.session.get(MediaAsset, asset_id) if asset_id else None
        if (asset is None or not asset.lease_is_live(now)) and _older_than(work_dir, lease):
            store.remove(work_dir)
            report.work_dirs_removed += 1

    # A chunked ladder's parts (services.chunks), kept until joined; on object storage also the
    # chunk work folders a killed task left in this machine's scratch space.
    areas = [store, LocalMediaStore(store.root)] if store.is_remote else [store]
    for area in areas:
        for name in area.subfolders("chunks"):
            asset = db.session.get(MediaAsset, int(name)) if name.isdigit() else None
            if (asset is None or asset.is_finished) and _stored_older_than(area, f"chunks/{name}", lease):
                area.delete(f"chunks/{name}")
                report.work_dirs_removed += 1

    for asset_id in store.asset_ids_with_outputs():
        asset = db.session.get(MediaAsset, asset_id)
        current = asset.output_dir if asset is not None and asset.output_dir else None
        for folder in store.output_dirs(asset_id):
            if folder != current and _stored_older_than(store, folder, OLD_OUTPUT_GRACE.total_seconds()):
                store.delete(folder)
                report.outputs_removed += 1


def _remove_old_originals(now, config, report: SweepReport) -> None:
    days = config["MEDIA_ORIGINAL_RETENTION_DAYS"]
    if days <= 0:
        return
    store = media_store()
    for asset in db.session.scalars(
        sa.select(MediaAsset).where(
            MediaAsset.status == AssetStatus.READY,
            MediaAsset.original_path.is_not(None),
            MediaAsset.finished_at < now - timedelta(days=days),
        )
    ):
        store.delete(asset.original_path)
        asset.original_path, asset.original_deleted_at = None, now
        report.originals_removed += 1


def sweep() -> SweepReport:
    """Idempotent housekeeping; safe to run from two places at once (every change is a
    compare-and-set or a removal of something unreferenced). Returns what to re-queue."""
    config = current_app.config
    now = utcnow()
    report = SweepReport(requeue=[], failed=[])
    _requeue_pending(now, config, report)
    _remove_leftovers(now, config, report)
    _remove_old_originals(now, config, report)
    db.session.flush()
    return report
