"""Who may upload, manage and watch an asset: viewer checks other domains register."""

import logging
from collections.abc import Callable

from media_pipeline.models import MediaAsset

logger = logging.getLogger(__name__)


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
