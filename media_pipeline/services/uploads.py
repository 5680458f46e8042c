"""Resumable uploads: chunks streamed to disk, then admitted as an asset."""

import logging
import os
from collections.abc import Callable
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.accounts.models import User
from app.core.clock import day_starts_at, localtoday
from app.extensions import db
from media_pipeline.models import AssetPurpose, AssetStatus, MediaAsset, MediaUpload
from media_pipeline.services.admission import ingest_file
from media_pipeline.services.common import COPY_BLOCK, UploadError, check_size, media_store

logger = logging.getLogger(__name__)


# --- uploads ----------------------------------------------------------------------------------------


def _mb(n: int) -> int:
    return n * 1024 * 1024


def check_work_quota(owner, size: int) -> None:
    """A member's video for a work: within WORKS_VIDEO_MAX_MB, at most WORKS_VIDEO_PENDING_MAX uploads
    in progress or processing, and WORKS_VIDEO_DAILY_MB started per day. Counted under a lock on the
    owner's row, so that requests sent at once cannot all pass."""
    config = current_app.config
    if size > _mb(config["WORKS_VIDEO_MAX_MB"]):
        raise UploadError(_("作品视频不能超过 %(n)s MB。", n=config["WORKS_VIDEO_MAX_MB"]), status=413)
    User.hold(owner.id)
    mine = sa.and_(MediaUpload.owner_id == owner.id, MediaUpload.purpose == AssetPurpose.WORK)
    open_uploads = db.session.scalar(sa.select(sa.func.count()).where(mine, MediaUpload.asset_id.is_(None)))
    processing = db.session.scalar(
        sa.select(sa.func.count()).where(
            MediaAsset.owner_id == owner.id,
            MediaAsset.purpose == AssetPurpose.WORK,
            MediaAsset.status.not_in((AssetStatus.READY, AssetStatus.FAILED)),
        )
    )
    if open_uploads + processing >= config["WORKS_VIDEO_PENDING_MAX"]:
        raise UploadError(
            _("您已有 %(n)s 个视频在上传或处理中，请等处理完成后再上传。", n=open_uploads + processing),
            status=429,
        )
    day_start = day_starts_at(localtoday())
    started = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(MediaUpload.size), 0)).where(
            mine, MediaUpload.created_at >= day_start
        )
    )
    if started + size > _mb(config["WORKS_VIDEO_DAILY_MB"]):
        raise UploadError(
            _("今天上传的视频已达 %(n)s MB 上限，请明天再传。", n=config["WORKS_VIDEO_DAILY_MB"]), status=429
        )


def start_upload(owner, filename: str, size: int, purpose: AssetPurpose = AssetPurpose.LESSON) -> MediaUpload:
    """Open a resumable upload of ``size`` bytes; chunks follow with :func:`append_chunk`."""
    filename = (filename or "").strip().replace("\\", "/").rsplit("/", 1)[-1][:255]
    if not filename:
        raise UploadError(_("缺少文件名。"))
    check_size(size)
    if purpose is AssetPurpose.WORK:
        check_work_quota(owner, size)
    upload = MediaUpload(
        id=os.urandom(16).hex(), owner_id=owner.id, filename=filename, size=size, received=0, purpose=purpose
    )
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
                block = stream.read(min(COPY_BLOCK, length - written))
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
