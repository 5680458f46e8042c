"""The member's photo on the 二维码名片: uploaded by the member (or their secretary, a coordinator of
their subtree, an admin), decoded by Pillow and re-encoded as a JPEG without metadata, and shown only
to those who may keep the member's file, the member, and a scanner who has just verified their card
(through a short-lived link made for that scanner and that member)."""

import logging
from io import BytesIO
from pathlib import Path

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.exceptions import Forbidden

from app.accounts.models import User
from app.core import audit, uploads
from app.core.clock import utcnow
from app.core.errors import DomainError
from app.extensions import db
from app.membership.models import MemberPhoto
from app.membership.services.access import may_keep_file, may_scan, may_see_file

logger = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
#: Larger pictures are refused before decoding (a small file can unpack to a huge bitmap).
MAX_PIXELS = 40_000_000
#: The stored photo fits in this square: enough for a card and a scan result.
SIDE = 800
FORMATS = {"JPEG", "PNG", "WEBP"}
#: How long the link a verified scan shows stays good.
SCAN_LINK_SECONDS = 600


class PhotoError(DomainError):
    pass


def _kind_of(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def photo_dir() -> Path:
    base = (
        current_app.config.get("MEMBERSHIP_UPLOAD_DIR")
        or Path(current_app.config["MEDIA_ROOT"]) / "membership"
    )
    return Path(base) / "photos"


def may_change_photo(actor: User, member: User) -> bool:
    return actor.id == member.id or may_keep_file(actor, member)


def _reencoded(path: Path) -> bytes:
    """The picture at ``path`` as a JPEG of at most SIDE×SIDE, upright, with no metadata kept."""
    refused = PhotoError(_("照片无法识别，请上传 JPEG、PNG 或 WebP 格式的图片"), field="photo")
    try:
        with Image.open(path) as picture:
            if picture.format not in FORMATS:
                raise refused
            if picture.width * picture.height > MAX_PIXELS:
                raise PhotoError(_("照片像素过大，请缩小后再上传"), field="photo")
            picture = ImageOps.exif_transpose(picture)
            picture = picture.convert("RGB")
            picture.thumbnail((SIDE, SIDE))
            out = BytesIO()
            picture.save(out, "JPEG", quality=85)  # no exif= given: nothing of the original's metadata
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise refused from None
    return out.getvalue()


def set_photo(actor: User, member: User, stream, filename: str = "") -> MemberPhoto:
    """Take ``stream`` as ``member``'s photo, replacing any earlier one (removed after commit)."""
    if not may_change_photo(actor, member):
        raise Forbidden()
    folder = photo_dir()
    try:
        raw = uploads.save_upload(
            stream, folder, max_bytes=MAX_BYTES, kind_of=_kind_of, follow_transaction=False
        )
    except uploads.UploadRefused as exc:
        message = {
            uploads.EMPTY: _("文件是空的"),
            uploads.TOO_LARGE: _("照片不能超过 5 MB"),
            uploads.WRONG_KIND: _("只接受 JPEG、PNG 或 WebP 格式的照片"),
        }[exc.reason]
        raise PhotoError(message, field="photo") from None
    try:
        body = _reencoded(raw.path)
    finally:
        uploads.remove_files([raw.path])
    saved = uploads.save_upload(BytesIO(body), folder, max_bytes=MAX_BYTES, kind_of=lambda head: "jpg")
    photo = db.session.get(MemberPhoto, member.id)
    if photo is None:
        photo = MemberPhoto(member_id=member.id)
        db.session.add(photo)
    else:
        uploads.remove_after_commit([folder / photo.stored_name])
    photo.stored_name, photo.size = saved.name, saved.size
    photo.uploaded_by_id, photo.uploaded_at = actor.id, utcnow()
    db.session.flush()
    audit.record(actor, "member.photo", member, f"更新 {member} 的名片照片")
    return photo


def photo_of(member_id: int) -> MemberPhoto | None:
    return db.session.get(MemberPhoto, member_id)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="hongke.member-photo")


def scan_token(scanner: User, member: User) -> str:
    """What a verified scan hands ``scanner``: leave to load ``member``'s photo for a while."""
    return _serializer().dumps({"m": member.id, "s": scanner.id})


def scan_photo_url(scanner: User, member: User) -> str | None:
    """The link to ``member``'s photo a verified scan shows ``scanner`` (None without a photo)."""
    if photo_of(member.id) is None:
        return None
    return url_for("membership.member_photo", member_id=member.id, t=scan_token(scanner, member))


def _scanned(actor: User, member: User, token: str | None) -> bool:
    if not token or not may_scan(actor):
        return False
    try:
        body = _serializer().loads(token, max_age=SCAN_LINK_SECONDS)
    except BadSignature:  # altered, made for someone else's key, or expired (SignatureExpired)
        return False
    return isinstance(body, dict) and body.get("m") == member.id and body.get("s") == actor.id


def load_photo(actor: User, member: User, token: str | None = None) -> Path | None:
    """The file of ``member``'s photo if ``actor`` may see it (403 otherwise); None when there is none."""
    if not (may_see_file(actor, member) or _scanned(actor, member, token)):
        raise Forbidden()
    photo = photo_of(member.id)
    return photo_dir() / photo.stored_name if photo is not None else None
