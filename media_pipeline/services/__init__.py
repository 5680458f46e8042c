"""Media operations: uploads, probing, processing under a lease, publishing, sweeping, access.

Services flush and audit; the caller commits. The two long operations (:func:`ingest_file`,
:func:`process_asset`) must make intermediate states durable (a committed "probing" or progress
percentages other processes read), so like the member import they take a ``commit`` callable.

One module per responsibility; this package re-exports what other modules call as
``services.<name>``.
"""

# MediaAsset too: callers (and tests) read ``services.MediaAsset`` as they did from the one module.
from media_pipeline.models import MediaAsset
from media_pipeline.services.access import (  # _viewer_checks: tests count the registered checks
    _viewer_checks,  # noqa: F401
    can_manage_asset,
    can_upload,
    can_view_asset,
    register_viewer_check,
    unregister_viewer_check,
)
from media_pipeline.services.admission import (
    create_asset,
    fail_asset,
    ingest_file,
    prepare_rerun,
    probe_asset,
)
from media_pipeline.services.chunks import ChunkJob, encode_chunk
from media_pipeline.services.common import TRANSIENT_ERRORS, LeaseLost, UploadError, media_store
from media_pipeline.services.leases import (
    acquire_lease,
    lease_seconds_left,
    new_lease_holder,
    release_lease,
    renew_lease,
)
from media_pipeline.services.processing import fail_for_good, join_asset_chunks, process_asset
from media_pipeline.services.reading import asset_json, state_label
from media_pipeline.services.sweeping import SweepReport, sweep
from media_pipeline.services.uploads import (
    append_chunk,
    complete_upload,
    discard_upload,
    get_upload_for,
    start_upload,
)

__all__ = [
    "TRANSIENT_ERRORS",
    "ChunkJob",
    "LeaseLost",
    "MediaAsset",
    "SweepReport",
    "UploadError",
    "acquire_lease",
    "append_chunk",
    "asset_json",
    "can_manage_asset",
    "can_upload",
    "can_view_asset",
    "complete_upload",
    "create_asset",
    "discard_upload",
    "encode_chunk",
    "fail_asset",
    "fail_for_good",
    "get_upload_for",
    "ingest_file",
    "join_asset_chunks",
    "lease_seconds_left",
    "media_store",
    "new_lease_holder",
    "prepare_rerun",
    "probe_asset",
    "process_asset",
    "register_viewer_check",
    "release_lease",
    "renew_lease",
    "start_upload",
    "state_label",
    "sweep",
    "unregister_viewer_check",
]
