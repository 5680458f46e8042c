"""Trainer pages (upload with resumable chunks, list, status) and protected media serving.

Resumable upload protocol (``static/media_pipeline/upload.js`` speaks it)::

    POST /media/uploads                {"filename", "size"}       -> {"upload_id", "received", "chunk_size"}
    GET  /media/uploads/<id>                                      -> {"received", "size"}
    PUT  /media/uploads/<id>           Content-Range: bytes a-b/n -> {"received"} (409 if a is off)
    POST /media/uploads/<id>/complete                             -> {"id", "status", "error"}

Media files are served at ``/media/<asset id>/<output key>/<path>`` to logged-in users allowed to
see the asset (checked on every request, segments included): the uploader, admins, and whoever a
registered viewer check admits (:func:`media_pipeline.services.register_viewer_check`); and at
``/media/p/<token>/<asset id>/<output key>/<path>`` to whoever holds a member's signed playback
token (no cookie: native apps, CDNs), with the same check for that member (see ``playback.py``).

For nginx, set ``MEDIA_SERVE_MODE=x-accel-redirect`` and add::

    location /_protected_media/ { internal; alias /path/to/MEDIA_ROOT/; }

With ``MEDIA_STORAGE=s3`` the same URLs and the same checks answer: playlists are read from the
bucket and served by the app, and segments, the MP4 fallback, the poster and thumbnails are a 302 to
a presigned GET URL of the object that expires with the answer's cache lifetime (at most an hour,
never after the playback token).
"""

# Views alike in shape to other blueprints' views by design (load, authorise, one service, commit,
# respond), and the import block to theirs: kept apart, each names its own loader, service and target.

import re
from pathlib import PurePosixPath

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import ClientDisconnected

from app.accounts.models import User
from app.core.errors import back_to, json_error, json_ok, json_refusal
from app.core.permissions import login_required, roles_required
from app.extensions import db
from media_pipeline import playback, services
from media_pipeline.models import AssetPurpose, AssetStatus, MediaAsset
from media_pipeline.probe import MediaInputError
from media_pipeline.storage import MIME_TYPES
from media_pipeline.tasks import queue_asset

bp = Blueprint(
    "media_pipeline",
    __name__,
    url_prefix="/media",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

_OUTPUT_KEY = re.compile(r"^\d{1,12}-[0-9a-f]{12}$")
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


def get_asset_for(asset_id: int, user, manage: bool = False) -> MediaAsset:
    """Load an asset (404) and check access (403): viewing, or with ``manage`` the owner's rights."""
    asset = db.session.get(MediaAsset, asset_id)
    if asset is None:
        abort(404)
    allowed = services.can_manage_asset(user, asset) if manage else services.can_view_asset(user, asset)
    if not allowed:
        abort(403)
    return asset


def asset_urls(asset: MediaAsset, viewer=None) -> dict:
    """URLs of an asset's outputs (for the player of any domain). With ``viewer``, signed playback
    URLs that work for that member with no cookie (native apps, CDNs); without, URLs the session
    cookie opens (the trainer's own pages)."""
    if not asset.output_dir:
        return {"master": None, "fallback": None, "poster": None, "thumbnails": []}
    key = PurePosixPath(asset.output_dir).name
    if viewer is not None:
        token = playback.issue_token(viewer, asset.id, key)

        def url(path: str | None) -> str | None:
            if not path:
                return None
            return url_for(
                "media_pipeline.serve_signed", token=token, asset_id=asset.id, key=key, filename=path
            )
    else:

        def url(path: str | None) -> str | None:
            if not path:
                return None
            return url_for("media_pipeline.serve", asset_id=asset.id, key=key, filename=path)

    fallback = asset.fallback()
    urls = {
        "master": url(asset.master_playlist),
        "fallback": url(fallback.path if fallback else None),
        "poster": url(asset.poster),
        "thumbnails": [url(t) for t in asset.thumbnails or []],
    }
    if viewer is not None:
        urls["expires_at"] = playback.token_expiry(token).isoformat()
    return urls


def status_json(asset: MediaAsset) -> dict:
    return {
        "id": asset.id,
        "status": asset.status.value,
        "status_label": asset.status_label,
        "progress": asset.progress,
        # Watchable first, worker restarted, time left (issue 20): one label, the server's words.
        "state_label": services.state_label(asset),
        "playable": asset.is_playable,
        "resuming": asset.is_resuming(),
        "seconds_left": asset.seconds_left(),
        "error": asset.error,
        "finished": asset.is_finished,
        "urls": asset_urls(asset) if asset.is_playable else None,
    }


# --- trainer pages ---------------------------------------------------------------------------------------


@bp.get("/")
@roles_required("trainer")
def index():
    query = sa.select(MediaAsset).order_by(MediaAsset.id.desc())
    if not current_user.is_admin:
        query = query.where(MediaAsset.owner_id == current_user.id)
    page = db.paginate(query, per_page=current_app.config["ITEMS_PER_PAGE"], error_out=False)
    return render_template("media_pipeline/index.html", page=page)


@bp.get("/upload")
@roles_required("trainer")
def upload_page():
    return render_template(
        "media_pipeline/upload.html",
        max_bytes=current_app.config["MEDIA_MAX_UPLOAD_BYTES"],
        chunk_bytes=current_app.config["MEDIA_UPLOAD_CHUNK_BYTES"],
    )


@bp.get("/<int:asset_id>")
@roles_required("trainer")
def detail(asset_id: int):
    asset = get_asset_for(asset_id, current_user, manage=True)
    return render_template("media_pipeline/detail.html", asset=asset, urls=asset_urls(asset))


@bp.get("/<int:asset_id>/status")
@login_required
def status(asset_id: int):
    asset = get_asset_for(asset_id, current_user, manage=True)
    return json_ok(status_json(asset))


@bp.post("/<int:asset_id>/retranscode")
@roles_required("trainer")
def retranscode(asset_id: int):
    asset = get_asset_for(asset_id, current_user, manage=True)
    with back_to(url_for("media_pipeline.detail", asset_id=asset_id)):
        services.prepare_rerun(asset, current_user)
    db.session.commit()
    queue_asset(asset_id)
    flash(_("已重新开始转码。"), "success")
    return redirect(url_for("media_pipeline.detail", asset_id=asset_id))


# --- resumable upload -----------------------------------------------------------------------------------


def _upload_for(upload_id: str):
    upload = (
        services.get_upload_for(upload_id, current_user) if re.fullmatch(r"[0-9a-f]{32}", upload_id) else None
    )
    if upload is None:
        abort(404)
    if upload.purpose is not AssetPurpose.WORK and not services.can_upload(current_user):
        abort(403)
    return upload


@bp.post("/uploads")
@login_required
def start_upload():
    """Trainers upload for lessons; anyone signed in may upload a short video for their own work
    (``"purpose": "work"``), under the works' limits."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return json_error(400, _('请提交 JSON 对象：{"filename": …, "size": …}。'))
    try:
        purpose = AssetPurpose(body.get("purpose", AssetPurpose.LESSON))
    except ValueError:
        return json_error(400, _("purpose 只能是 lesson 或 work。"), field="purpose")
    if purpose is AssetPurpose.LESSON and not services.can_upload(current_user):
        abort(403)
    size = body.get("size", -1)
    if isinstance(size, bool) or not isinstance(size, int | str):
        size = -1  # a float (Infinity included: int() overflows) or anything else is no byte count
    try:
        size = int(size)
    except ValueError:
        size = -1
    try:
        upload = services.start_upload(current_user, str(body.get("filename") or ""), size, purpose)
    except services.UploadError as exc:
        return json_refusal(exc)
    db.session.commit()
    return json_ok(
        {
            "upload_id": upload.id,
            "received": 0,
            "size": upload.size,
            "chunk_size": current_app.config["MEDIA_UPLOAD_CHUNK_BYTES"],
            "url": url_for("media_pipeline.upload_chunk", upload_id=upload.id),
        },
        201,
    )


@bp.get("/uploads/<upload_id>")
@login_required
def upload_state(upload_id: str):
    upload = _upload_for(upload_id)
    return json_ok({"received": upload.received, "size": upload.size, "asset_id": upload.asset_id})


@bp.put("/uploads/<upload_id>")
@login_required
def upload_chunk(upload_id: str):
    upload = _upload_for(upload_id)
    chunk_limit = current_app.config["MEDIA_UPLOAD_CHUNK_BYTES"]
    request.max_content_length = chunk_limit + 64 * 1024  # per request: chunks, not whole files
    match = _CONTENT_RANGE.match(request.headers.get("Content-Range", ""))
    length = request.content_length or 0
    if not match:
        return json_error(400, _("缺少或错误的 Content-Range 请求头。"))
    start, end, total = (int(g) for g in match.groups())
    if total != upload.size or end - start + 1 != length:
        return json_error(400, _("Content-Range 与文件大小或分片长度不符。"), received=upload.received)
    try:
        services.append_chunk(upload, start, request.stream, length)
    except services.UploadError as exc:
        db.session.commit()  # keep what did arrive of an interrupted chunk
        return json_refusal(exc)
    except ClientDisconnected:
        db.session.commit()  # the bytes that arrived count: the client resumes from there
        return json_error(400, _("连接中断。"), received=upload.received)
    db.session.commit()
    return json_ok({"received": upload.received, "size": upload.size})


@bp.post("/uploads/<upload_id>/complete")
@login_required
def complete_upload(upload_id: str):
    upload = _upload_for(upload_id)
    try:
        asset = services.complete_upload(upload, current_user, commit=db.session.commit, enqueue=queue_asset)
    except MediaInputError as exc:  # an UploadError too
        return json_refusal(exc)
    if asset.status == AssetStatus.FAILED:
        return json_error(422, asset.error or _("文件无法处理。"), data=status_json(asset))
    return json_ok(status_json(asset), 201)


# --- serving ---------------------------------------------------------------------------------------------


@bp.get("/<int:asset_id>/<key>/<path:filename>")
def serve(asset_id: int, key: str, filename: str):
    """One output file for the logged-in viewer (the access check runs on every request, segments
    included); cached only in that viewer's browser."""
    if not current_user.is_authenticated:
        abort(401)
    asset = get_asset_for(asset_id, current_user)
    response = _send_output(asset.id, key, filename, 3600)
    response.cache_control.private = True
    response.cache_control.public = False
    response.cache_control.max_age = 3600
    return response


@bp.get("/p/<token>/<int:asset_id>/<key>/<path:filename>")
def serve_signed(token: str, asset_id: int, key: str, filename: str):
    """One output file for whoever holds a playback token (no cookie, no header): the token must be
    signed for this asset and version and not expired, and its member must still be allowed to see
    the asset. The token is part of the URL, so a shared cache may keep the file under it."""
    try:
        grant = playback.verify_token(token, asset_id, key)
    except playback.PlaybackRefused:
        abort(403)
    memo = playback.access_memo()
    recheck = current_app.config["PLAYBACK_ACCESS_RECHECK_SECONDS"]
    if filename.endswith(".m3u8") or not memo.allowed_within(grant.user_id, asset_id, recheck):
        viewer = db.session.get(User, grant.user_id)
        asset = db.session.get(MediaAsset, asset_id)
        allowed = bool(viewer and viewer.is_active and asset and services.can_view_asset(viewer, asset))
        memo.remember(grant.user_id, asset_id, allowed)
        if not allowed:
            abort(403)
    max_age = min(3600, playback.seconds_left(grant))
    response = _send_output(asset_id, key, filename, max_age)
    response.cache_control.public = True
    response.cache_control.private = False
    response.cache_control.max_age = max_age
    return response


def _send_output(asset_id: int, key: str, filename: str, max_age: int) -> Response:
    """The file, or 404 for anything not a published output, as the store answers it (see
    :meth:`media_pipeline.storage.MediaStore.response`; a presigned URL lives ``max_age`` seconds).
    Output folders are immutable (a retranscode publishes a new key), so caching is safe."""
    suffix = PurePosixPath(filename).suffix.lower()
    if not _OUTPUT_KEY.match(key) or suffix not in MIME_TYPES:
        abort(404)
    store = services.media_store()
    stored = store.output_file(f"assets/{asset_id}/{key}", filename)
    if stored is None:
        abort(404)
    config = current_app.config
    response = store.response(
        stored,
        max_age=max_age,
        serve_mode=config["MEDIA_SERVE_MODE"],
        accel_prefix=config["MEDIA_ACCEL_PREFIX"],
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
