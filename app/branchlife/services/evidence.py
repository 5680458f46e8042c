"""Photos and files attached to a meeting's minutes.

Photos are decoded and re-encoded as JPEG with Pillow: whatever the upload carried besides pixels
(EXIF with its GPS position, comments, a script hidden after the image data) is not written again;
the orientation EXIF asked for is applied to the pixels first. A thumbnail is kept beside it. Files
are accepted by content: PDF, Office Open XML (docx/xlsx/pptx) and legacy Office (OLE2).
"""

# Services alike in shape to other domains' (load, check the rule, change, flush, audit, notify),
# kept apart: each checks its own rules and says so in its own words.

import zipfile
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from app.accounts.models import User
from app.branchlife.models import Meeting, MeetingFile
from app.branchlife.services.access import BranchLifeError
from app.core import audit, uploads
from app.core.transactions import on_transaction_end
from app.extensions import db

IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
PHOTO_EDGE = 2560
THUMB_EDGE = 320
OFFICE_TYPES = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
}
MAX_FILES = 50


def upload_dir() -> Path:
    folder = Path(
        current_app.config.get("BRANCHLIFE_UPLOAD_DIR")
        or Path(current_app.config["MEDIA_ROOT"]) / "branchlife"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _image_kind(head: bytes) -> str | None:
    if head.startswith(IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "upload"
    return None


def _file_kind(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    return None


def _save(stream, what: str, limit_mb: int, kind_of) -> uploads.SavedUpload:
    limit = limit_mb * 1024 * 1024
    try:
        return uploads.save_upload(stream, upload_dir(), max_bytes=limit, kind_of=kind_of)
    except uploads.UploadRefused as exc:
        if exc.reason == uploads.EMPTY:
            raise BranchLifeError(_("%(what)s是空的", what=what), 422, "file") from exc
        if exc.reason == uploads.TOO_LARGE:
            raise BranchLifeError(
                _("%(what)s不能超过 %(limit)s MB", what=what, limit=limit_mb), 413, "file"
            ) from exc
        raise BranchLifeError(_("不支持这种%(what)s格式", what=what), 422, "file") from exc


def _check_open(meeting: Meeting) -> None:
    if meeting.is_locked:
        raise BranchLifeError(_("会议已定稿，不能再添加附件"), 409)
    if meeting.status != "published":
        raise BranchLifeError(_("请先发布会议"), 409)
    if db.session.query(MeetingFile).filter_by(meeting_id=meeting.id).count() >= MAX_FILES:
        raise BranchLifeError(_("每次会议最多 %(n)s 个附件", n=MAX_FILES), 422, "file")


def _reencode(source: Path) -> tuple[Path, Path]:
    """Decode ``source`` and write it again as a clean JPEG and a thumbnail; returns both paths."""
    try:
        with Image.open(source) as image:
            if image.width * image.height > MAX_PIXELS:
                raise BranchLifeError(_("图片尺寸过大"), 422, "file")
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((PHOTO_EDGE, PHOTO_EDGE))
            photo = source.with_suffix(".jpg")
            image.save(photo, "JPEG", quality=85, optimize=True)  # no exif= argument: no metadata
            image.thumbnail((THUMB_EDGE, THUMB_EDGE))
            thumb = source.with_name(source.stem + "-t.jpg")
            image.save(thumb, "JPEG", quality=80)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as exc:
        raise BranchLifeError(_("图片无法识别，请上传 JPEG 或 PNG 照片"), 422, "file") from exc
    finally:
        source.unlink(missing_ok=True)
    return photo, thumb


def add_photo(actor: User, meeting: Meeting, stream, filename: str) -> MeetingFile:
    _check_open(meeting)
    saved = _save(stream, _("照片"), current_app.config["BRANCHLIFE_PHOTO_MAX_MB"], _image_kind)
    photo, thumb = _reencode(saved.path)
    on_transaction_end(on_rollback=lambda: uploads.remove_files([photo, thumb]))
    row = MeetingFile(
        meeting_id=meeting.id,
        kind="photo",
        stored_name=photo.name,
        thumb_name=thumb.name,
        original_name=(filename or "photo")[:200],
        content_type="image/jpeg",
        size=photo.stat().st_size,
        uploaded_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "branchlife.photo", meeting, f"上传会议照片 {row.original_name}")
    return row


def _office_type(path: Path) -> tuple[str, str] | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    return next(
        (kind for prefix, kind in OFFICE_TYPES.items() if any(n.startswith(prefix) for n in names)), None
    )


def add_file(actor: User, meeting: Meeting, stream, filename: str) -> MeetingFile:
    _check_open(meeting)
    saved = _save(stream, _("文件"), current_app.config["BRANCHLIFE_FILE_MAX_MB"], _file_kind)
    suffix = saved.path.suffix.lstrip(".")
    if suffix == "pdf":
        content_type = "application/pdf"
    elif suffix == "ole":
        content_type = (
            "application/msword" if (filename or "").lower().endswith(".doc") else "application/vnd.ms-office"
        )
    else:
        office = _office_type(saved.path)
        if office is None:
            raise BranchLifeError(_("只能上传 PDF 或 Office 文件"), 422, "file")
        content_type = office[0]
    row = MeetingFile(
        meeting_id=meeting.id,
        kind="file",
        stored_name=saved.name,
        original_name=(filename or "file")[:200],
        content_type=content_type,
        size=saved.size,
        uploaded_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "branchlife.file", meeting, f"上传会议文件 {row.original_name}")
    return row
