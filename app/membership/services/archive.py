"""党员档案: the member's documents and 民主评议/奖惩 entries, and who looked at them.

Who may see an archive: the member (their own, without confidential parts), their secretary, the
coordinators of their subtree and admins (:func:`~.access.may_see_file`). Every view and download
is written to the audit log against the member and listed on the archive.
"""

# Services alike in shape to other domains' (load, check the rule, change, flush, audit, notify),
# kept apart: each checks its own rules and says so in its own words.

from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import User
from app.core import audit, uploads
from app.core.clock import localtoday
from app.core.errors import DomainError
from app.core.models import AuditEntry
from app.core.urls import id_from
from app.extensions import db
from app.membership import rules
from app.membership.models import (
    CONFIDENTIAL_KINDS,
    ArchiveEntry,
    ArchiveEntryKind,
    DocumentKind,
    MemberDocument,
)
from app.membership.services.access import may_keep_file, may_see_file

#: Recognised by their first bytes; stored and served under these types, always as a download.
SIGNATURES = {
    b"%PDF-": ("application/pdf", "pdf"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
}
TYPES = {ext: mime for mime, ext in SIGNATURES.values()}
MAX_BYTES = 20 * 1024 * 1024
ACCESS_ACTIONS = ("archive.view", "archive.download", "archive.export")


class ArchiveError(DomainError):
    pass


def upload_dir() -> Path:
    folder = (
        current_app.config.get("MEMBERSHIP_UPLOAD_DIR")
        or Path(current_app.config["MEDIA_ROOT"]) / "membership"
    )
    return Path(folder)


def _kind_of(head: bytes) -> str | None:
    return next((ext for magic, (_mime, ext) in SIGNATURES.items() if head.startswith(magic)), None)


def _clean_filename(name: str) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable() and c not in '<>:"|?*')[:200].strip()
    return name or "document"


def add_document(
    actor: User,
    member: User,
    stream,
    filename: str,
    kind: str,
    step_key: str = "",
    confidential: bool = False,
) -> MemberDocument:
    if not may_keep_file(actor, member):
        raise Forbidden()
    try:
        kind = DocumentKind(kind)
    except ValueError:
        raise ArchiveError(_("请选择材料类别"), field="kind") from None
    if step_key and step_key not in rules.STEP_BY_KEY:
        raise ArchiveError(_("没有这个发展步骤"), field="step_key")
    try:
        saved = uploads.save_upload(stream, upload_dir(), max_bytes=MAX_BYTES, kind_of=_kind_of)
    except uploads.UploadRefused as exc:
        messages = {
            uploads.EMPTY: _("文件是空的"),
            uploads.TOO_LARGE: _("文件不能超过 20 MB"),
            uploads.WRONG_KIND: _("只接受 PDF、PNG 或 JPEG 文件"),
        }
        raise ArchiveError(messages[exc.reason], field="file") from exc
    document = MemberDocument(
        member_id=member.id,
        kind=kind,
        step_key=step_key or "",
        filename=_clean_filename(filename),
        stored_name=saved.name,
        content_type=TYPES[saved.path.suffix.lstrip(".")],
        size=saved.size,
        confidential=confidential or kind in CONFIDENTIAL_KINDS,
        uploaded_by_id=actor.id,
    )
    db.session.add(document)
    db.session.flush()
    audit.record(
        actor, "archive.document", member, f"为 {member} 上传{document.kind_label}：{document.filename}"
    )
    return document


# Alike in shape to add_document above and kb's add_attachment (check, add, flush, audit), kept
# apart: an entry has no file.
def add_entry(
    actor: User, member: User, kind: str, occurred_on: date, title: str, confidential: bool = False
) -> ArchiveEntry:
    if not may_keep_file(actor, member):
        raise Forbidden()
    try:
        kind = ArchiveEntryKind(kind)
    except ValueError:
        raise ArchiveError(_("请选择类别"), field="kind") from None
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ArchiveError(_("请填写内容（不超过 200 字）"), field="title")
    if not isinstance(occurred_on, date) or occurred_on > localtoday():
        raise ArchiveError(_("日期不能晚于今天"), field="occurred_on")
    entry = ArchiveEntry(
        member_id=member.id,
        kind=kind,
        occurred_on=occurred_on,
        title=title,
        confidential=confidential,
        recorded_by_id=actor.id,
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(actor, "archive.entry", member, f"为 {member} 记录{entry.kind_label}：{title}")
    return entry


def sees_confidential(actor: User, member: User) -> bool:
    return may_keep_file(actor, member)


def open_archive(actor: User, member: User, export: bool = False) -> dict:
    """What ``actor`` may see of ``member``'s archive; the view (or the PDF export) is audited."""
    if not may_see_file(actor, member):
        raise Forbidden()
    full = sees_confidential(actor, member)
    documents = sa.select(MemberDocument).where(MemberDocument.member_id == member.id)
    entries = sa.select(ArchiveEntry).where(ArchiveEntry.member_id == member.id)
    if not full:
        documents = documents.where(MemberDocument.confidential.is_(False))
        entries = entries.where(ArchiveEntry.confidential.is_(False))
    if export:
        audit.record(actor, "archive.export", member, f"{actor.name} 导出了 {member.name} 的档案（PDF）")
    else:
        audit.record(actor, "archive.view", member, f"{actor.name} 查看了 {member.name} 的档案")
    db.session.flush()
    return {
        "documents": list(db.session.scalars(documents.order_by(MemberDocument.uploaded_at.desc()))),
        "entries": list(db.session.scalars(entries.order_by(ArchiveEntry.occurred_on.desc()))),
        "confidential_shown": full,
    }


def attached_pdfs(documents: list[MemberDocument]) -> dict[int, Path]:
    """The PDF documents among ``documents`` (id → file), merged after the export's summary pages."""
    return {d.id: upload_dir() / d.stored_name for d in documents if d.content_type == "application/pdf"}


def scanned_pages(documents: list[MemberDocument]) -> list[tuple[str, Path]]:
    """The image documents (PNG, JPEG) among ``documents``, with where they are, for the PDF export."""
    images = [d for d in documents if d.content_type in ("image/png", "image/jpeg")]
    return [(f"{d.kind_label}：{d.filename}", upload_dir() / d.stored_name) for d in images]


def access_log(member: User, limit: int = 50) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(
                AuditEntry.target_type == "user",
                AuditEntry.target_id == member.id,
                AuditEntry.action.in_(ACCESS_ACTIONS),
            )
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        )
    )


def load_document(document_id, actor: User) -> tuple[MemberDocument, Path]:
    """A document ``actor`` may download (audited), and where it is: 404 when missing, 403 when not theirs."""
    document = db.session.get(MemberDocument, document_id) if id_from(document_id) else None
    if document is None:
        raise NotFound()
    member = db.session.get(User, document.member_id)
    if not may_see_file(actor, member) or (document.confidential and not sees_confidential(actor, member)):
        raise Forbidden()
    audit.record(
        actor,
        "archive.download",
        member,
        f"{actor.name} 下载了 {member.name} 的{document.kind_label}：{document.filename}",
    )
    return document, upload_dir() / document.stored_name


GRADE_LABELS = {"excellent": "优秀", "qualified": "合格", "basic": "基本合格", "unqualified": "不合格"}


def on_review_graded(sender, member_id: int | None = None, year: int | None = None, grade: str = "", **_kw):
    """Receiver of ``review_graded`` (branchlife's 民主评议党员): the member's grade for the year is
    filed in their archive (re-grading replaces it); never who voted what."""
    member = db.session.get(User, member_id) if id_from(member_id) else None
    if member is None or not isinstance(year, int) or grade not in GRADE_LABELS:
        return
    title = f"{year} 年度民主评议：{GRADE_LABELS[grade]}"
    entry = db.session.scalar(
        sa.select(ArchiveEntry).where(
            ArchiveEntry.member_id == member.id,
            ArchiveEntry.kind == ArchiveEntryKind.REVIEW,
            ArchiveEntry.title.like(f"{year} 年度民主评议：%"),
        )
    )
    if entry is None:
        entry = ArchiveEntry(member_id=member.id, kind=ArchiveEntryKind.REVIEW, title=title)
        db.session.add(entry)
    entry.title, entry.occurred_on = title, localtoday()
    db.session.flush()
