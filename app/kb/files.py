"""An article's files: PDF attachments and a cover image, checked by content, stored under
``KB_UPLOAD_DIR`` and removed only once the transaction that dropped them commits.
"""

import logging
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden

from app.accounts.models import User
from app.core import audit, uploads
from app.extensions import db
from app.kb.models import (
    Article,
    ArticleAttachment,
)
from app.kb.services import KbError, can_edit

logger = logging.getLogger(__name__)


# --- files ----------------------------------------------------------------------------------------

PDF_TYPE = "application/pdf"
#: Magic numbers of the cover image formats every browser shows (never SVG: it can carry scripts).
IMAGE_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
    b"GIF87a": ("image/gif", ".gif"),
    b"GIF89a": ("image/gif", ".gif"),
}
IMAGE_TYPES = {ext: mime for mime, ext in IMAGE_SIGNATURES.values()} | {".webp": "image/webp"}


def upload_dir() -> Path:
    """Where covers and attachments live: ``KB_UPLOAD_DIR``, by default ``MEDIA_ROOT/kb``."""
    folder = Path(current_app.config.get("KB_UPLOAD_DIR") or Path(current_app.config["MEDIA_ROOT"]) / "kb")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stored_path(stored_name: str) -> Path:
    return upload_dir() / stored_name


def _save_upload(stream, limit: int, what: str, kind_of, wrong_kind: str) -> uploads.SavedUpload:
    """Stream an upload into :func:`upload_dir` (removed again if the transaction rolls back)."""
    try:
        return uploads.save_upload(stream, upload_dir(), max_bytes=limit, kind_of=kind_of)
    except uploads.UploadRefused as exc:
        if exc.reason == uploads.EMPTY:
            raise KbError(_("%(what)s是空的", what=what), field="file") from exc
        if exc.reason == uploads.TOO_LARGE:
            raise KbError(
                _("%(what)s不能超过 %(limit)s MB", what=what, limit=limit // (1024 * 1024)), field="file"
            ) from exc
        raise KbError(wrong_kind, field="file") from exc


def _remove_files_after_commit(names: list[str]) -> None:
    uploads.remove_after_commit(stored_path(name) for name in names)


def _pdf_kind(head: bytes) -> str | None:
    return "pdf" if head.startswith(b"%PDF-") else None


def _image_kind(head: bytes) -> str | None:
    extension = next((ext for magic, (_m, ext) in IMAGE_SIGNATURES.items() if head.startswith(magic)), None)
    if extension is None and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        extension = ".webp"
    return extension


def add_attachment(article: Article, actor: User, stream, filename: str) -> ArticleAttachment:
    """Attach a PDF (checked by content, not by name)."""
    if not can_edit(actor, article):
        raise Forbidden()
    saved = _save_upload(
        stream, current_app.config["KB_MAX_ATTACHMENT_BYTES"], _("附件"), _pdf_kind, _("附件只能是 PDF 文件")
    )
    filename = Path((filename or "").replace("\\", "/")).name.strip() or "附件.pdf"
    if not filename.lower().endswith(".pdf"):
        filename += ".pdf"
    attachment = ArticleAttachment(
        article=article,
        filename=filename[-255:],
        stored_name=saved.name,
        content_type=PDF_TYPE,
        size=saved.size,
        uploaded_by_id=actor.id,
    )
    db.session.add(attachment)
    db.session.flush()
    audit.record(actor, "kb.attachment.add", article, f"为《{article.title}》添加附件 {filename}")
    return attachment


def delete_attachment(attachment: ArticleAttachment, actor: User) -> None:
    article = attachment.article
    if not can_edit(actor, article):
        raise Forbidden()
    audit.record(
        actor, "kb.attachment.delete", article, f"删除《{article.title}》的附件 {attachment.filename}"
    )
    name = attachment.stored_name
    article.attachments.remove(attachment)
    db.session.flush()
    _remove_files_after_commit([name])


def set_cover(article: Article, actor: User, stream) -> Article:
    """Set the cover image (PNG, JPEG, GIF or WebP, recognised by content)."""
    if not can_edit(actor, article):
        raise Forbidden()
    saved = _save_upload(
        stream,
        current_app.config["KB_MAX_COVER_BYTES"],
        _("封面图片"),
        _image_kind,
        _("封面只能是 PNG、JPEG、GIF 或 WebP 图片"),
    )
    old = article.cover_file
    article.cover_file = saved.name
    db.session.flush()
    audit.record(actor, "kb.article.cover", article, f"更换《{article.title}》的封面")
    if old:
        _remove_files_after_commit([old])
    return article


def cover_content_type(article: Article) -> str:
    return IMAGE_TYPES.get(Path(article.cover_file or "").suffix, "application/octet-stream")
