"""Read models of assets: the operator's JSON and the processing state trainers read."""

import logging

from flask_babel import gettext as _

from media_pipeline.models import AssetStatus, MediaAsset
from media_pipeline.services.common import media_store
from media_pipeline.storage import MediaStore

logger = logging.getLogger(__name__)


# --- read models -----------------------------------------------------------------------------------------


def asset_json(asset: MediaAsset, store: MediaStore | None = None) -> dict:
    """The operator's view (``flask media show --json``): absolute filesystem paths (or ``s3://``
    URLs with object storage)."""
    store = store or media_store()
    base = asset.output_dir

    def absolute(relative: str | None) -> str | None:
        return store.location(f"{base}/{relative}") if base and relative else None

    return {
        "id": asset.id,
        "status": asset.status.value,
        "progress": asset.progress,
        "error": asset.error,
        "attempts": asset.attempts,
        "original_filename": asset.original_filename,
        "original": store.location(asset.original_path) if asset.original_path else None,
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


def _time_left(seconds: int) -> str:
    if seconds < 60:
        return _("%(n)s 秒", n=max(1, seconds))
    minutes = (seconds + 30) // 60
    if minutes < 60:
        return _("%(n)s 分钟", n=minutes)
    return _("%(hours)s 小时 %(minutes)s 分", hours=minutes // 60, minutes=minutes % 60)


def state_label(asset: MediaAsset, now=None) -> str:
    """What the trainer (and a previewing lesson page) reads about an asset's processing: the
    percentage and time left while transcoding, "watchable" once the first rendition is out,
    and "resuming" when its worker died and the job is waiting to be picked up again."""
    if asset.status != AssetStatus.TRANSCODING:
        return asset.status_label
    percent = f"{asset.progress}%"
    if asset.is_resuming(now):
        return _("处理进程已重启，正在恢复（已完成 %(percent)s）", percent=percent)
    left = asset.seconds_left(now)
    if asset.is_playable:
        label = _("可观看，更高清晰度处理中 %(percent)s", percent=percent)
    else:
        label = _("转码中 %(percent)s", percent=percent)
    return label + (_("，约剩 %(time)s", time=_time_left(left)) if left is not None else "")
