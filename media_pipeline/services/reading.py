"""Read models of assets (the operator's JSON)."""

import logging

from media_pipeline.models import MediaAsset
from media_pipeline.services.common import media_store
from media_pipeline.storage import MediaStore

logger = logging.getLogger(__name__)


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
