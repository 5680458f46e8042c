"""Signals that cross domain boundaries. Each domain connects its receivers in its own package."""

from blinker import Namespace

hongke_signals = Namespace()

#: Sent with ``user`` (the new account) and ``actor`` when an account is created.
user_created = hongke_signals.signal("user-created")
#: Sent with ``user`` and ``actor`` when an account's branch changes.
user_branch_changed = hongke_signals.signal("user-branch-changed")
#: Sent with ``asset_id`` (sender: the :class:`~media_pipeline.models.MediaAsset`) when an asset's
#: renditions are published and playable. Courses listen to it; the pipeline knows nothing of them.
media_ready = hongke_signals.signal("media-ready")
#: Sent with ``asset_id`` and ``error`` (the Chinese message the trainer sees) when an asset fails.
media_failed = hongke_signals.signal("media-failed")
