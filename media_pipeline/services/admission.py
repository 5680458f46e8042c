"""Admission: create the asset, store the original, probe it, queue it; and re-runs."""

import logging
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from app.core import audit
from app.core.clock import utcnow
from app.core.signals import media_failed
from app.extensions import db
from media_pipeline.models import AssetPurpose, AssetStatus, MediaAsset, MediaUpload
from media_pipeline.probe import MediaInputError, ProbeFacts, ProbeLimits, probe_file
from media_pipeline.services.common import check_size, media_store

logger = logging.getLogger(__name__)


# --- admission: store, probe, queue -------------------------------------------------------------------


def create_asset(
    filename: str, size: int, owner, actor, purpose: AssetPurpose = AssetPurpose.LESSON
) -> MediaAsset:
    check_size(size)
    asset = MediaAsset(
        owner_id=owner.id if owner is not None else None,
        status=AssetStatus.UPLOADED,
        purpose=purpose,
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


def _work_refusal(asset: MediaAsset, facts: ProbeFacts) -> str | None:
    """Why a member's video for a work cannot be taken (too long, or no picture), else None."""
    limit = current_app.config["WORKS_VIDEO_MAX_SECONDS"]
    if not facts.has_video:
        return _("作品只接受视频文件。")
    if facts.duration > limit:
        return _(
            "视频时长 %(m)s 分 %(s)s 秒，超过作品视频 %(limit)s 分钟的上限。",
            m=int(facts.duration) // 60,
            s=int(facts.duration) % 60,
            limit=limit // 60,
        )
    return None


def probe_asset(
    asset: MediaAsset, actor=None, commit: Callable | None = None, local_copy: Path | None = None
) -> bool:
    """Probe the original: ``True`` and the asset ``transcoding`` (ready to queue), or ``False``
    and the asset ``failed`` with the reason. :class:`MediaToolError` if ffprobe itself failed.
    ``local_copy``: the original is at hand on this machine (just received), no need to fetch it."""
    asset.status = AssetStatus.PROBING
    original = asset.original_path
    db.session.flush()
    if commit:
        commit()  # "probing" is visible to others, and no transaction stays open while ffprobe runs
    config = current_app.config
    try:
        with nullcontext(local_copy) if local_copy else media_store().fetch_file(original) as source:
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
    refusal = _work_refusal(asset, facts) if asset.purpose is AssetPurpose.WORK else None
    if refusal:
        fail_asset(asset, refusal, actor)
        return False
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
    asset = create_asset(filename, size, owner, actor, upload.purpose if upload else AssetPurpose.LESSON)
    store = media_store()
    key = store.original_key(asset.id, filename)
    with store.stored(source, key, move=move) as received:
        asset.original_path = key
        if upload is not None:
            upload.asset_id = asset.id
        db.session.flush()
        commit()
        queued = probe_asset(asset, actor, commit=commit, local_copy=received)
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
    if asset.original_path is None or not media_store().is_file(asset.original_path):
        raise MediaInputError(_("原始文件已按保留期限删除，无法重新转码，请重新上传。"))
    if asset.lease_is_live():
        raise MediaInputError(_("该音视频正在处理中，请稍后再试。"))
    asset.status = AssetStatus.TRANSCODING if asset.probe else AssetStatus.UPLOADED
    asset.progress, asset.error, asset.attempts = 0, None, 0
    asset.queued_at, asset.finished_at = utcnow(), None
    db.session.flush()
    audit.record(actor, "media.retranscode", asset, "重新转码")
    return asset
