"""What every media service shares: the store, the error types and the transient failures."""

import logging
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from media_pipeline.probe import MediaInputError, MediaToolError
from media_pipeline.storage import MediaStore, make_store

logger = logging.getLogger(__name__)


#: Failures worth another try later: the machine, the database or a tool, not the file.
TRANSIENT_ERRORS = (MediaToolError, OSError, SQLAlchemyError)
COPY_BLOCK = 1024 * 1024
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
    """The store the settings name (``MEDIA_STORAGE``): local folder or S3 bucket."""
    return make_store(current_app.config)


def human_size(size: int) -> str:
    return f"{size / 1024**3:.1f} GiB" if size >= 1024**3 else f"{size / 1024**2:.0f} MiB"


def check_size(size: int) -> None:
    limit = current_app.config["MEDIA_MAX_UPLOAD_BYTES"]
    if size <= 0:
        raise UploadError(_("文件是空的（0 字节），请重新选择文件。"))
    if size > limit:
        raise UploadError(
            _("文件大小 %(size)s 超过上限 %(limit)s。", size=human_size(size), limit=human_size(limit)),
            status=413,
        )
