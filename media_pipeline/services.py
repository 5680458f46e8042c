"""Media operations: uploads, probing, processing under a lease, publishing, sweeping, access.

Services flush and audit; the caller commits. The two long operations (:func:`ingest_file`,
:func:`process_asset`) must make intermediate states durable (a committed "probing" or progress
percentages other processes read), so like the member import they take a ``commit`` callable.
"""

import logging
import os
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from app.core import audit
from app.core.clock import utcnow
from app.core.signals import media_failed, media_ready
from app.extensions import db
from media_pipeline.ladder import plan_ladder
from media_pipeline.models import AssetStatus, MediaAsset, MediaRendition, MediaUpload, RenditionKind
from media_pipeline.probe import MediaInputError, MediaToolError, ProbeFacts, ProbeLimits, probe_file
from media_pipeline.storage import MediaStore
from media_pipeline.transcode import TranscodeSettings, transcode

logger = logging.getLogger(__name__)

#: Failures worth another try later: the machine, the database or a tool, not the file.
TRANSIENT_ERRORS = (MediaToolError, OSError, SQLAlchemyError)
_COPY_BLOCK = 1024 * 1024
#: Published folders no longer current are kept this long for players still reading them.
OLD_OUTPUT_GRACE = timedelta(hours=1)


class UploadError(MediaInputError):
    """A refused upload step; ``status`` is the HTTP status a view answers with."""

    def __init__(
        self, message, status: int | None = None, field: str | None = None, *, received: int | None = None
    ):
        super().__init__(message, status, field)
        #: How many bytes of the file arrived before the refusal (a resumable upload's offset).
        self.received = received
        if received is not None:
            self.extra = {"received": received}


class LeaseLost(RuntimeError):
    """Another worker took this asset over (our lease had lapsed): stop without publishing."""


def media_store() -> MediaStore:
    return MediaStore(current_app.config["MEDIA_ROOT"])


def _human_size(size: int) -> str:
    return f"{size / 1024**3:.1f} GiB" if size >= 1024**3 else f"{size / 1024**2:.0f} MiB"


# --- access -----------------------------------------------------------------------------------------

_viewer_checks: list[Callable] = []


def register_viewer_check(check: Callable) -> Callable:
    """Let another domain grant viewing: ``check(user, asset_id) -> bool``. Courses register one
    saying "this member may watch a lesson using this asset"; the pipeline knows nothing more."""
    if check not in _viewer_checks:
        _viewer_checks.append(check)
    return check


def unregister_viewer_check(check: Callable) -> None:
    if check in _viewer_checks:
        _viewer_checks.remove(check)


def can_manage_asset(user, asset: MediaAsset) -> bool:
    """The uploader and admins see errors, retranscode and replace."""
    return bool(user and user.is_authenticated and (user.is_admin or asset.owner_id == user.id))


def can_view_asset(user, asset: MediaAsset) -> bool:
    if not (user and user.is_authenticated):
        return False
    return can_manage_asset(user, asset) or any(check(user, asset.id) for check in _viewer_checks)


def can_upload(user) -> bool:
    return bool(user and user.is_authenticated and user.has_any_role("trainer"))


# --- uploads ----------------------------------------------------------------------------------------


def _check_size(size: int) -> None:
    limit = current_app.config["MEDIA_MAX_UPLOAD_BYTES"]
    if size <= 0:
        raise UploadError(_("文件是空的（0 字节），请重新选择文件。"))
    if size > limit:
        raise UploadError(
            _("文件大小 %(size)s 超过上限 %(limit)s。", size=_human_size(size), limit=_human_size(limit)),
            status=413,
        )


def start_upload(owner, filename: str, size: int) -> MediaUpload:
    """Open a resumable upload of ``size`` bytes; chunks follow with :func:`append_chunk`."""
    filename = (filename or "").strip().replace("\\", "/").rsplit("/", 1)[-1][:255]
    if not filename:
        raise UploadError(_("缺少文件名。"))
    _check_size(size)
    upload = MediaUpload(id=os.urandom(16).hex(), owner_id=owner.id, filename=filename, size=size, received=0)
    db.session.add(upload)
    media_store().upload_part(upload.id).touch()
    db.session.flush()
    logger.info("%s started upload %s (%s, %d bytes)", owner, upload.id, filename, size)
    return upload


def get_upload_for(upload_id: str, user) -> MediaUpload | None:
    upload = db.session.get(MediaUpload, upload_id)
    return upload if upload is not None and upload.owner_id == user.id else None


def append_chunk(upload: MediaUpload, offset: int, stream: BinaryIO, length: int) -> MediaUpload:
    """Write ``length`` bytes from ``stream`` at ``offset``, block by block (never the whole chunk
    in memory). A chunk must start where the last one ended; bytes of an interrupted chunk are
    kept up to where the connection dropped, so the client resumes from there."""
    if upload.asset_id is not None:
        raise UploadError(_("该上传已完成。"), status=409, received=upload.received)
    if offset != upload.received:
        raise UploadError(
            _("分片位置不连续，请从服务器已收到的位置继续。"), status=409, received=upload.received
        )
    if length <= 0:
        raise UploadError(_("分片为空。"))
    if offset + length > upload.size:
        raise UploadError(_("分片超出声明的文件大小。"), status=413, received=upload.received)
    part = media_store().upload_part(upload.id)
    written = 0
    with part.open("r+b" if part.exists() else "w+b") as out:
        out.seek(offset)
        out.truncate(offset)  # drop bytes of an earlier chunk cut off mid-way
        try:
            while written < length:
                block = stream.read(min(_COPY_BLOCK, length - written))
                if not block:
                    break
                out.write(block)
                written += len(block)
        finally:
            out.flush()
            upload.received = offset + written
            db.session.flush()
    if written < length:
        raise UploadError(
            _("连接中断，分片未传完；将从已收到的位置继续。"), status=400, received=upload.received
        )
    return upload


def complete_upload(upload: MediaUpload, actor, *, commit: Callable, enqueue: Callable) -> MediaAsset:
    if upload.asset_id is not None:
        return db.session.get(MediaAsset, upload.asset_id)
    if upload.received != upload.size:
        raise UploadError(_("文件尚未上传完整。"), status=409, received=upload.received)
    part = media_store().upload_part(upload.id)
    asset = ingest_file(
        part, upload.filename, actor, actor, move=True, commit=commit, enqueue=enqueue, upload=upload
    )
    return asset


def discard_upload(upload: MediaUpload) -> None:
    media_store().remove(media_store().upload_part(upload.id))
    db.session.delete(upload)
    db.session.flush()


# --- admission: store, probe, queue -------------------------------------------------------------------


def create_asset(filename: str, size: int, owner, actor) -> MediaAsset:
    _check_size(size)
    asset = MediaAsset(
        owner_id=owner.id if owner is not None else None,
        status=AssetStatus.UPLOADED,
        original_filename=(filename or "media")[:255],
        original_size=size,
    )
    db.session.add(asset)
    db.session.flush()
    audit.record(actor, "media.upload", asset, f"上传音视频 {asset.original_filename}")
    return asset


def fail_asset(asset: MediaAsset, message: str, actor=None) -> None:
    asset.status = AssetStatus.FAILED
    asset.error = message[:500]
    asset.finished_at = utcnow()
    db.session.flush()
    audit.record(actor, "media.fail", asset, message)
    media_failed.send(asset, asset_id=asset.id, error=asset.error)


def _store_facts(asset: MediaAsset, facts: ProbeFacts) -> None:
    display = facts.display_size
    asset.duration = round(facts.duration, 3)
    asset.width, asset.height = facts.width, facts.height
    asset.display_width, asset.display_height = display if display else (None, None)
    asset.rotation = facts.rotation
    asset.video_codec, asset.audio_codec = facts.video_codec, facts.audio_codec
    asset.frame_rate = round(facts.frame_rate, 3) if facts.frame_rate else None
    asset.has_video, asset.has_audio = facts.has_video, facts.has_audio
    asset.bit_rate = facts.bit_rate
    asset.needs_tone_mapping = facts.needs_tone_mapping
    asset.probe = facts.as_dict()


def probe_asset(asset: MediaAsset, actor=None, commit: Callable | None = None) -> bool:
    """Probe the original: ``True`` and the asset ``transcoding`` (ready to queue), or ``False``
    and the asset ``failed`` with the reason. :class:`MediaToolError` if ffprobe itself failed."""
    asset.status = AssetStatus.PROBING
    source = media_store().path(asset.original_path)
    db.session.flush()
    if commit:
        commit()  # "probing" is visible to others, and no transaction stays open while ffprobe runs
    config = current_app.config
    try:
        facts = probe_file(
            source,
            config["FFPROBE_BIN"],
            config["MEDIA_PROBE_TIMEOUT_SECONDS"],
            ProbeLimits.from_config(config),
        )
    except MediaInputError as exc:
        fail_asset(asset, str(exc), actor)
        return False
    _store_facts(asset, facts)
    asset.status = AssetStatus.TRANSCODING
    asset.progress = 0
    db.session.flush()
    return True


def ingest_file(
    source: Path,
    filename: str,
    owner,
    actor,
    *,
    move: bool,
    commit: Callable,
    enqueue: Callable[[int], None],
    upload: MediaUpload | None = None,
) -> MediaAsset:
    """Admit a file: create the asset, move (or copy) the file in as its original, probe it, and
    queue its processing. Bad input ends ``failed`` with the reason and no job is queued."""
    size = source.stat().st_size
    asset = create_asset(filename, size, owner, actor)
    store = media_store()
    target = store.original_for(asset.id, filename)
    if move:
        os.replace(source, target)
    else:
        shutil.copyfile(source, target)  # streams in blocks
    asset.original_path = store.relative(target)
    if upload is not None:
        upload.asset_id = asset.id
    db.session.flush()
    commit()
    queued = probe_asset(asset, actor, commit=commit)
    if queued:
        asset.queued_at = utcnow()
        db.session.flush()
    asset_id = asset.id
    commit()  # no attribute access after this: it would reopen a transaction (and on SQLite lock)
    if queued:
        enqueue(asset_id)
    # An eager (in-process) task used its own session: read the row as it is now.
    return db.session.get(MediaAsset, asset_id, populate_existing=True)


def prepare_rerun(asset: MediaAsset, actor) -> MediaAsset:
    """Make a finished (or stuck) asset run again from its original: ``flask media retranscode``
    and the trainer's "重新转码" button. The current outputs stay served until the new ones land."""
    if asset.original_path is None or not media_store().path(asset.original_path).is_file():
        raise MediaInputError(_("原始文件已按保留期限删除，无法重新转码，请重新上传。"))
    if asset.lease_is_live():
        raise MediaInputError(_("该音视频正在处理中，请稍后再试。"))
    asset.status = AssetStatus.TRANSCODING if asset.probe else AssetStatus.UPLOADED
    asset.progress, asset.error, asset.attempts = 0, None, 0
    asset.queued_at, asset.finished_at = utcnow(), None
    db.session.flush()
    audit.record(actor, "media.retranscode", asset, "重新转码")
    return asset


# --- processing (the worker) ---------------------------------------------------------------------------


def new_lease_holder(tag: str = "") -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{tag or os.urandom(4).hex()}"[:120]


def acquire_lease(asset_id: int, holder: str, seconds: int) -> bool:
    """Take the per-asset lease unless a live one is held by someone else. One conditional UPDATE:
    atomic on PostgreSQL (row lock, re-checked after a concurrent commit) and on SQLite (one writer)."""
    now = utcnow()
    result = db.session.execute(
        sa.update(MediaAsset)
        .where(
            MediaAsset.id == asset_id,
            sa.or_(
                MediaAsset.lease_holder.is_(None),
                MediaAsset.lease_holder == holder,
                MediaAsset.lease_expires_at < now,
            ),
        )
        .values(lease_holder=holder, lease_expires_at=now + timedelta(seconds=seconds))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def renew_lease(asset_id: int, holder: str, seconds: int, progress: int | None = None) -> bool:
    values: dict = {"lease_expires_at": utcnow() + timedelta(seconds=seconds)}
    if progress is not None:
        values["progress"] = progress
    result = db.session.execute(
        sa.update(MediaAsset)
        .where(MediaAsset.id == asset_id, MediaAsset.lease_holder == holder)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release_lease(asset_id: int, holder: str) -> None:
    db.session.execute(
        sa.update(MediaAsset)
        .where(MediaAsset.id == asset_id, MediaAsset.lease_holder == holder)
        .values(lease_holder=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )


def lease_seconds_left(asset_id: int) -> float:
    expires = db.session.scalar(sa.select(MediaAsset.lease_expires_at).where(MediaAsset.id == asset_id))
    return max(0.0, (expires - utcnow()).total_seconds()) if expires else 0.0


def _publish(asset: MediaAsset, work_dir: Path, output) -> None:
    store = media_store()
    relative = store.publish(work_dir, asset.id)
    asset.renditions = []
    db.session.flush()  # delete the old rows first: the new ones reuse their (asset, path) pairs
    asset.renditions = [
        MediaRendition(
            kind=RenditionKind(r.kind), path=r.path, width=r.width, height=r.height, bandwidth=r.bandwidth
        )
        for r in output.renditions
    ]
    asset.output_dir = relative
    asset.master_playlist = output.master_playlist
    asset.poster = output.poster
    asset.thumbnails = output.thumbnails
    asset.status = AssetStatus.READY
    asset.progress = 100
    asset.error = None
    asset.finished_at = utcnow()
    db.session.flush()
    audit.record(None, "media.ready", asset, f"转码完成：{len(output.renditions)} 个输出")
    media_ready.send(asset, asset_id=asset.id)


def process_asset(asset_id: int, *, holder: str, commit: Callable) -> str:
    """Probe (if not yet done), transcode and publish one asset, under its lease.

    Returns ``"ready"``, ``"failed"`` (bad input; the reason is on the asset), ``"busy"`` (a live
    lease is held elsewhere: try again later) or ``"done"`` (nothing to do: finished already, or
    gone). Raises one of :data:`TRANSIENT_ERRORS` for a failure worth retrying; the asset then stays
    in its state with the lease released, and runs again from scratch.
    """
    config = current_app.config
    lease = config["MEDIA_LEASE_SECONDS"]
    asset = db.session.get(MediaAsset, asset_id)
    if asset is None or asset.is_finished:
        return "done"
    if not acquire_lease(asset_id, holder, lease):
        db.session.rollback()
        return "busy"
    commit()
    store = media_store()
    work_dir: Path | None = None
    try:
        asset = db.session.get(MediaAsset, asset_id)
        asset.attempts += 1
        if asset.attempts > config["MEDIA_MAX_ATTEMPTS"]:
            fail_asset(asset, "多次处理均未完成（进程可能被中断），请重新上传或联系管理员。")
            commit()
            return "failed"
        asset.started_at, asset.progress, asset.error = utcnow(), 0, None
        commit()
        for stale in store.work_dirs(asset_id):  # left by a killed run: we hold the lease now
            store.remove(stale)
        needs_probe = asset.status in (AssetStatus.UPLOADED, AssetStatus.PROBING)
        if needs_probe and not probe_asset(asset, commit=commit):
            commit()
            return "failed"
        asset.status = AssetStatus.TRANSCODING
        plan = plan_ladder(ProbeFacts(**asset.probe))
        source = store.path(asset.original_path)
        commit()  # from here on nothing reads the row, so no transaction (on SQLite, no lock) is held

        if not source.is_file():
            raise MediaInputError(_("原始文件不存在，请重新上传。"))
        work_dir = store.new_work_dir(asset_id)
        last_write = [0.0]

        def on_progress(fraction: float) -> None:
            now = time.monotonic()
            if now - last_write[0] < min(2.0, lease / 3):
                return
            last_write[0] = now
            if not renew_lease(asset_id, holder, lease, progress=int(fraction * 100)):
                raise LeaseLost(asset_id)
            commit()

        output = transcode(source, plan, work_dir, TranscodeSettings.from_config(config), on_progress)
        if not renew_lease(asset_id, holder, lease, progress=99):
            raise LeaseLost(asset_id)
        asset = db.session.get(MediaAsset, asset_id)
        _publish(asset, work_dir, output)
        work_dir = None  # it is the published folder now
        commit()
        logger.info("media asset %s ready (%s)", asset_id, asset.output_dir)
        return "ready"
    except MediaInputError as exc:
        db.session.rollback()
        fail_asset(db.session.get(MediaAsset, asset_id), str(exc))
        commit()
        return "failed"
    except LeaseLost:
        db.session.rollback()
        logger.warning("media asset %s: lease lost to another worker, stopping", asset_id)
        return "busy"
    except BaseException:
        db.session.rollback()
        raise
    finally:
        if work_dir is not None:
            store.remove(work_dir)
        try:
            release_lease(asset_id, holder)
            commit()
        except SQLAlchemyError:
            db.session.rollback()
            logger.exception("could not release the lease of media asset %s", asset_id)


def fail_for_good(asset_id: int, message: str) -> None:
    """Mark an asset failed after its retries ran out or its time limit passed."""
    asset = db.session.get(MediaAsset, asset_id)
    if asset is not None and not asset.is_finished:
        fail_asset(asset, message)


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


def sweep() -> SweepReport:
    """Idempotent housekeeping; safe to run from two places at once (every change is a
    compare-and-set or a removal of something unreferenced). Returns what to re-queue."""
    config = current_app.config
    now = utcnow()
    store = media_store()
    stuck_before = now - timedelta(seconds=config["MEDIA_STUCK_AFTER_SECONDS"])
    report = SweepReport(requeue=[], failed=[])

    pending = db.session.scalars(
        sa.select(MediaAsset).where(
            MediaAsset.status.in_([AssetStatus.UPLOADED, AssetStatus.PROBING, AssetStatus.TRANSCODING]),
            sa.or_(MediaAsset.lease_expires_at.is_(None), MediaAsset.lease_expires_at < now),
            sa.or_(
                MediaAsset.queued_at < stuck_before,
                sa.and_(MediaAsset.queued_at.is_(None), MediaAsset.updated_at < stuck_before),
            ),
        )
    ).all()
    for asset in pending:
        if asset.attempts >= config["MEDIA_MAX_ATTEMPTS"]:
            fail_asset(asset, "多次处理均未完成（进程可能被中断），请重新上传或联系管理员。")
            report.failed.append(asset.id)
            continue
        claimed = db.session.execute(
            sa.update(MediaAsset)
            .where(MediaAsset.id == asset.id, MediaAsset.queued_at.is_not_distinct_from(asset.queued_at))
            .values(queued_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:
            report.requeue.append(asset.id)
            logger.warning("media asset %s stuck in %s; queued again", asset.id, asset.status)

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

    for asset_id in store.asset_ids_with_outputs():
        asset = db.session.get(MediaAsset, asset_id)
        current = store.path(asset.output_dir) if asset is not None and asset.output_dir else None
        for folder in store.output_dirs(asset_id):
            if folder != current and _older_than(folder, OLD_OUTPUT_GRACE.total_seconds()):
                store.remove(folder)
                report.outputs_removed += 1

    days = config["MEDIA_ORIGINAL_RETENTION_DAYS"]
    if days > 0:
        for asset in db.session.scalars(
            sa.select(MediaAsset).where(
                MediaAsset.status == AssetStatus.READY,
                MediaAsset.original_path.is_not(None),
                MediaAsset.finished_at < now - timedelta(days=days),
            )
        ):
            store.remove_relative(asset.original_path)
            asset.original_path, asset.original_deleted_at = None, now
            report.originals_removed += 1
    db.session.flush()
    return report


# --- read models -----------------------------------------------------------------------------------------


def asset_json(asset: MediaAsset, store: MediaStore | None = None) -> dict:
    """The operator's view (``flask media show --json``): absolute filesystem paths."""
    store = store or media_store()
    base = store.path(asset.output_dir) if asset.output_dir else None

    def absolute(relative: str | None) -> str | None:
        return str(base / relative) if base is not None and relative else None

    return {
        "id": asset.id,
        "status": asset.status.value,
        "progress": asset.progress,
        "error": asset.error,
        "attempts": asset.attempts,
        "original_filename": asset.original_filename,
        "original": str(store.path(asset.original_path)) if asset.original_path else None,
        "duration": asset.duration,
        "width": asset.display_width,
        "height": asset.display_height,
        "has_audio": asset.has_audio,
        "has_video": asset.has_video,
        "renditions": [
            {
                "kind": r.kind.value,
                "height": r.height,
                "width": r.width,
                "bandwidth": r.bandwidth,
                "path": absolute(r.path),
            }
            for r in asset.renditions
        ],
        "master_playlist": absolute(asset.master_playlist),
        "poster": absolute(asset.poster),
        "thumbnails": [absolute(t) for t in asset.thumbnails or []],
    }
