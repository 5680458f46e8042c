"""``POST /api/v1/media``: upload a whole video or audio file in one multipart request (scripts).

The file part is streamed straight into the media store (never into memory or ``/tmp``), then
probed; a file that is not usable media is refused with the reason and no job is queued.
"""

import os
from contextlib import contextmanager
from pathlib import Path

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import parse_form_data

from app.api import ApiError, bp, ok
from app.extensions import db
from media_pipeline import services
from media_pipeline.models import AssetStatus
from media_pipeline.probe import MediaInputError, MediaToolError
from media_pipeline.tasks import queue_asset

#: Room for the multipart envelope (boundaries, headers, small fields) around the file itself.
ENVELOPE_BYTES = 1024 * 1024


@contextmanager
def _parsed_upload(store, limit: int):
    """The multipart body parsed straight into part files of the media store (nothing held in
    memory); every part file is removed afterwards (the one ingested was moved into the store)."""
    parts = []

    def stream_factory(total_content_length, content_type, filename, content_length=None):
        path = store.upload_part(os.urandom(16).hex())
        parts.append(path)
        return path.open("w+b")

    try:
        try:
            _stream, form, files = parse_form_data(
                request.environ, stream_factory=stream_factory, max_content_length=limit + ENVELOPE_BYTES
            )
        except RequestEntityTooLarge as exc:
            raise ApiError(_("文件超过大小上限（%(limit)s MiB）。", limit=limit // 1024**2), 413) from exc
        yield form, files
    finally:
        for path in parts:
            path.unlink(missing_ok=True)


@bp.post("/media")
def create_media():
    if not services.can_upload(current_user):
        raise ApiError(_("只有讲师或管理员可以上传音视频。"), 403)
    limit = current_app.config["MEDIA_MAX_UPLOAD_BYTES"]
    if request.content_length is None:
        raise ApiError(_("请求缺少 Content-Length。"), 411)
    if request.content_length > limit + ENVELOPE_BYTES:
        raise ApiError(_("文件超过大小上限（%(limit)s MiB）。", limit=limit // 1024**2), 413)

    with _parsed_upload(services.media_store(), limit) as (form, files):
        upload = files.get("file")
        if upload is None or not upload.filename:
            raise ApiError(_("请在表单字段 file 中上传音视频文件。"), 422, field="file")
        upload.stream.close()
        source = Path(upload.stream.name)  # the part file _parsed_upload opened for it
        try:
            asset = services.ingest_file(
                source,
                form.get("filename") or upload.filename,
                current_user,
                current_user,
                move=True,
                commit=db.session.commit,
                enqueue=queue_asset,
            )
        except MediaToolError as exc:
            raise ApiError(str(exc), 503) from exc
        except MediaInputError as exc:
            raise ApiError(exc.message, exc.status, field="file") from exc
    if asset.status == AssetStatus.FAILED:
        raise ApiError(asset.error or _("文件无法处理。"), 422, field="file")
    return ok({"id": asset.id, "status": asset.status.value}, 201)
