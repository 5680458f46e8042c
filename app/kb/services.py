"""Knowledge-base operations. Callers own the transaction; every change is flushed and audited.

Who may do what:

* anyone signed in reads live (approved) articles;
* trainers write articles and edit their own; coordinators and admins edit any and approve;
* a trainer's change to a published article waits in review while readers keep the approved text.
"""

import difflib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import Role, User, UserRole
from app.core import audit, uploads
from app.core.clock import utcnow
from app.core.signals import notification_requested
from app.core.text import plain_text, render_markdown
from app.core.urls import id_from, site_path
from app.extensions import db
from app.kb.models import (
    BODY_MAX,
    SUMMARY_MAX,
    TAG_MAX,
    TAGS_PER_ITEM,
    TITLE_MAX,
    Article,
    ArticleAttachment,
    ArticleCategory,
    ArticleRevision,
    ArticleStatus,
    Tag,
    article_tag,
)
from app.org.models import Branch

logger = logging.getLogger(__name__)


class KbError(ValueError):
    """A problem the user caused, with a message in Chinese; ``field`` names the input at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- permissions ----------------------------------------------------------------------------------


def can_write(user: User) -> bool:
    return user.is_authenticated and user.has_any_role(Role.TRAINER, Role.COORDINATOR)


def can_approve(user: User) -> bool:
    return user.is_authenticated and user.has_any_role(Role.COORDINATOR)


def can_edit(user: User, article: Article) -> bool:
    if not user.is_authenticated:
        return False
    return can_approve(user) or (article.author_id == user.id and user.has_role(Role.TRAINER))


def can_read(user: User, article: Article) -> bool:
    return article.is_live or can_edit(user, article)


def get_article_for(article_id: int, user: User, *, edit: bool = False) -> Article:
    """Load an article ``user`` may read (or edit): 404 when missing or unseen drafts, 403 otherwise."""
    article = db.session.get(Article, article_id)
    if article is None or not can_read(user, article):
        raise NotFound()
    if edit and not can_edit(user, article):
        raise Forbidden()
    return article


# --- tags -----------------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_TAG_SPLIT = re.compile(r"[,，、;；\s]+")


def parse_tags(value: str | Iterable[str] | None) -> list[str]:
    """Tag names from a comma/space separated string or a list: trimmed, de-duplicated, checked."""
    if value is None:
        return []
    raw = _TAG_SPLIT.split(value) if isinstance(value, str) else list(value)
    names: list[str] = []
    for item in raw:
        if not isinstance(item, str):
            raise KbError("标签必须是文字", "tags")
        name = _SPACES.sub(" ", item).strip().lstrip("#＃").strip()
        if not name:
            continue
        if len(name) > TAG_MAX:
            raise KbError(f"标签「{name[:TAG_MAX]}…」太长，不能超过 {TAG_MAX} 个字", "tags")
        if name.lower() not in {n.lower() for n in names}:
            names.append(name)
    if len(names) > TAGS_PER_ITEM:
        raise KbError(f"标签最多 {TAGS_PER_ITEM} 个", "tags")
    return names


def get_or_create_tags(names: Iterable[str]) -> list[Tag]:
    """The tags named ``names`` (already parsed), creating the missing ones; safe against a racing insert."""
    names = list(names)
    if not names:
        return []
    existing = {t.name.lower(): t for t in db.session.scalars(sa.select(Tag).where(Tag.name.in_(names)))}
    tags = []
    for name in names:
        tag = existing.get(name.lower())
        if tag is None:
            try:
                with db.session.begin_nested():
                    tag = Tag(name=name)
                    db.session.add(tag)
            except sa.exc.IntegrityError:  # another request created it meanwhile
                tag = db.session.scalars(sa.select(Tag).where(Tag.name == name)).one()
        tags.append(tag)
    return tags


def popular_tags(limit: int = 30) -> list[tuple[Tag, int]]:
    """Tags of live articles with how many articles carry each, most used first (one query)."""
    rows = db.session.execute(
        sa.select(Tag, sa.func.count(article_tag.c.article_id).label("n"))
        .join(article_tag, article_tag.c.tag_id == Tag.id)
        .join(Article, Article.id == article_tag.c.article_id)
        .where(Article.live_revision_number.is_not(None))
        .group_by(Tag.id)
        .order_by(sa.desc("n"), Tag.name)
        .limit(limit)
    ).all()
    return [(tag, n) for tag, n in rows]


# --- categories -----------------------------------------------------------------------------------


def category_tree() -> list[ArticleCategory]:
    """Every category, parents before children (materialised-path order)."""
    return list(db.session.scalars(sa.select(ArticleCategory).order_by(ArticleCategory.path)))


def find_category(reference: int | str | None) -> ArticleCategory | None:
    """A category by id or by name (the API accepts either); ``KbError`` when unknown."""
    if reference is None or reference == "":
        return None
    if isinstance(reference, bool) or not isinstance(reference, int | str):
        raise KbError("分类应为分类编号或分类名称", "category")
    if isinstance(reference, int) or (reference.isascii() and reference.isdigit()):
        category_id = id_from(reference)
        category = db.session.get(ArticleCategory, category_id) if category_id else None
    else:
        matches = list(
            db.session.scalars(sa.select(ArticleCategory).where(ArticleCategory.name == reference.strip()))
        )
        category = matches[0] if len(matches) == 1 else None
        if len(matches) > 1:
            raise KbError(f"有多个名为「{reference}」的分类，请用分类编号", "category")
    if category is None:
        raise KbError(f"分类「{reference}」不存在", "category")
    return category


def create_category(name: str, parent: ArticleCategory | None, actor: User) -> ArticleCategory:
    name = _SPACES.sub(" ", name or "").strip()
    if not name:
        raise KbError("分类名称不能为空", "name")
    if len(name) > 50:
        raise KbError("分类名称不能超过 50 个字", "name")
    same_parent = (
        ArticleCategory.parent_id.is_(None) if parent is None else ArticleCategory.parent_id == parent.id
    )
    if db.session.scalar(sa.select(ArticleCategory.id).where(ArticleCategory.name == name, same_parent)):
        raise KbError(f"同一上级下已有名为「{name}」的分类", "name")
    category = ArticleCategory(name=name, parent=parent, depth=(parent.depth + 1) if parent else 0)
    db.session.add(category)
    db.session.flush()
    category.path = f"{parent.path if parent else '/'}{category.id}/"
    db.session.flush()
    audit.record(actor, "kb.category.create", category, f"创建知识分类 {name}")
    return category


def delete_category(category: ArticleCategory, actor: User) -> None:
    if db.session.scalar(sa.select(sa.func.count()).where(ArticleCategory.parent_id == category.id)):
        raise KbError(f"「{category.name}」下还有子分类，不能删除")
    if db.session.scalar(sa.select(sa.func.count()).where(Article.category_id == category.id)):
        raise KbError(f"「{category.name}」下还有文章，请先移走文章再删除")
    audit.record(actor, "kb.category.delete", category, f"删除知识分类 {category.name}")
    db.session.delete(category)
    db.session.flush()


# --- reading --------------------------------------------------------------------------------------


def live_articles_query(
    category: ArticleCategory | None = None, tag: Tag | None = None, text: str | None = None
):
    """Published articles for readers, newest first, optionally narrowed."""
    query = sa.select(Article).where(Article.live_revision_number.is_not(None))
    if category is not None:
        query = query.join(ArticleCategory, Article.category_id == ArticleCategory.id).where(
            Branch.subtree_filter(category.path, column=ArticleCategory.path)
        )
    if tag is not None:
        query = query.where(Article.tags.any(Tag.id == tag.id))
    if text:
        like = f"%{text.strip()}%"
        query = query.where(sa.or_(Article.title.like(like), Article.summary.like(like)))
    return query.order_by(Article.published_at.desc(), Article.id.desc())


def workbench_query(user: User, status: str | None = None):
    """Articles ``user`` edits: their own for a trainer, all for approvers; newest change first."""
    query = sa.select(Article)
    if not can_approve(user):
        query = query.where(Article.author_id == user.id)
    if status:
        query = query.where(Article.status == ArticleStatus(status))
    return query.order_by(Article.updated_at.desc(), Article.id.desc())


def review_queue_count() -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Article.id)).where(Article.status == ArticleStatus.REVIEW)
    )


def record_view(article: Article, viewer: User) -> None:
    """Count a reader's visit in one atomic UPDATE (no lost updates between concurrent readers)."""
    if article.author_id == viewer.id:
        return
    db.session.execute(
        sa.update(Article)
        .where(Article.id == article.id)
        .values(view_count=Article.view_count + 1)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class PublishedArticle:
    """What another domain (a course lesson) needs to show an article: approved text, sanitised."""

    id: int
    title: str
    summary: str
    html: str
    #: Characters of plain text; a lesson can derive a reading time from it.
    text_length: int
    tags: tuple[str, ...]


def get_published_article(article_id: int) -> PublishedArticle | None:
    """The live revision of an article, or ``None`` when it does not exist or is not published.

    The one entry point for courses ("an article can be used as a course lesson"): courses keep an
    ``article_id`` and call this; the knowledge base knows nothing of courses.
    """
    article = db.session.get(Article, article_id)
    if article is None or article.live is None:
        return None
    live = article.live
    return PublishedArticle(
        id=article.id,
        title=live.title,
        summary=live.summary,
        html=str(render_markdown(live.body)),
        text_length=len(plain_text(live.body)),
        tags=tuple(t.name for t in article.tags),
    )


def published_article_choices(text: str | None = None, limit: int = 50) -> list[tuple[int, str]]:
    """``(id, title)`` of live articles, for a lesson editor's picker."""
    query = live_articles_query(text=text).limit(limit)
    return [(a.id, a.live.title if a.live else a.title) for a in db.session.scalars(query)]


# --- writing --------------------------------------------------------------------------------------


def _clean_text(title: str, summary: str, body: str) -> tuple[str, str, str]:
    if not isinstance(title, str) or not title.strip():
        raise KbError("请填写标题", "title")
    title = _SPACES.sub(" ", title).strip()
    if len(title) > TITLE_MAX:
        raise KbError(f"标题不能超过 {TITLE_MAX} 个字（现有 {len(title)} 个）", "title")
    if not isinstance(summary, str):
        raise KbError("摘要必须是文字", "summary")
    summary = _SPACES.sub(" ", summary).strip()
    if len(summary) > SUMMARY_MAX:
        raise KbError(f"摘要不能超过 {SUMMARY_MAX} 个字", "summary")
    if not isinstance(body, str) or not body.strip():
        raise KbError("请填写正文", "body")
    if len(body) > BODY_MAX:
        raise KbError(f"正文不能超过 {BODY_MAX} 个字", "body")
    return title, summary, body.replace("\r\n", "\n")


def _add_revision(article: Article, actor: User | None, note: str = "") -> ArticleRevision:
    article.revision_number += 1
    revision = ArticleRevision(
        article_id=article.id,
        number=article.revision_number,
        title=article.title,
        summary=article.summary,
        body=article.body,
        editor_id=actor.id if actor else None,
        note=note[:200],
    )
    db.session.add(revision)
    return revision


def _approver_ids() -> list[int]:
    return list(
        db.session.scalars(
            sa.select(UserRole.user_id)
            .join(User, User.id == UserRole.user_id)
            .where(UserRole.role.in_([Role.ADMIN, Role.COORDINATOR]), User.is_active_account.is_(True))
            .distinct()
        )
    )


def _notify(user_ids: list[int], title: str, body: str, article: Article, kind: str) -> None:
    if user_ids:
        notification_requested.send(
            "kb",
            user_ids=user_ids,
            title=title,
            body=body,
            url=site_path("kb.article", article_id=article.id),
            kind=kind,
        )


def _go_live(article: Article, actor: User) -> None:
    first_time = article.live_revision_number is None
    article.status = ArticleStatus.PUBLISHED
    article.live_revision_number = article.revision_number
    article.approved_by_id = actor.id
    article.review_note = ""
    if first_time:
        article.published_at = utcnow()


def create_article(
    actor: User,
    title: str,
    body: str,
    summary: str = "",
    category: ArticleCategory | None = None,
    tags: Iterable[str] = (),
    status: str = ArticleStatus.DRAFT,
) -> Article:
    """Write a new article. ``status`` is what the writer asks for: a trainer asking to publish
    gets ``review`` (an approver must approve it); an approver's ``published`` goes live at once."""
    if not can_write(actor):
        raise Forbidden("只有讲师、组织员和管理员可以撰写文章。")
    title, summary, body = _clean_text(title, summary, body)
    wanted = _wanted_status(status)
    tag_rows = get_or_create_tags(parse_tags(list(tags)))
    article = Article(title=title, summary=summary, body=body, category=category, author_id=actor.id)
    article.tags = tag_rows
    db.session.add(article)
    db.session.flush()
    _add_revision(article, actor, "创建")
    _apply_wanted_status(article, actor, wanted)
    db.session.flush()
    audit.record(
        actor, "kb.article.create", article, f"撰写文章《{title}》", {"status": article.status.value}
    )
    return article


def _wanted_status(status: str | ArticleStatus) -> ArticleStatus:
    try:
        return ArticleStatus(status)
    except ValueError:
        raise KbError("状态只能是 draft（草稿）、review（送审）或 published（发布）", "status") from None


def _apply_wanted_status(article: Article, actor: User, wanted: ArticleStatus) -> None:
    if wanted == ArticleStatus.PUBLISHED and can_approve(actor):
        _go_live(article, actor)
    elif wanted in (ArticleStatus.PUBLISHED, ArticleStatus.REVIEW):
        article.status = ArticleStatus.REVIEW
        db.session.flush()
        _notify(
            [i for i in _approver_ids() if i != actor.id],
            "有文章等待审核",
            f"{actor.name} 提交了《{article.title}》，请审核。",
            article,
            "kb.review",
        )
    else:
        article.status = ArticleStatus.DRAFT


def update_article(
    article: Article,
    actor: User,
    *,
    title: str | None = None,
    body: str | None = None,
    summary: str | None = None,
    category: ArticleCategory | type[...] | None = ...,
    tags: Iterable[str] | None = None,
    status: str | None = None,
    note: str = "",
) -> Article:
    """Change an article; text changes make a new revision. Arguments left out stay as they are.

    When a trainer edits a published article it goes back to review; readers keep the approved text.
    """
    if not can_edit(actor, article):
        raise Forbidden("您不能编辑这篇文章。")
    new_title, new_summary, new_body = _clean_text(
        article.title if title is None else title,
        article.summary if summary is None else summary,
        article.body if body is None else body,
    )
    wanted = _wanted_status(status) if status is not None else None
    tag_rows = get_or_create_tags(parse_tags(list(tags))) if tags is not None else None
    text_changed = (new_title, new_summary, new_body) != (article.title, article.summary, article.body)
    changes = []
    if text_changed:
        article.title, article.summary, article.body = new_title, new_summary, new_body
        _add_revision(article, actor, note)
        changes.append("正文")
    if category is not ... and category != article.category:
        article.category = category
        changes.append("分类")
    if tag_rows is not None and {t.id for t in tag_rows} != {t.id for t in article.tags}:
        article.tags = tag_rows
        changes.append("标签")
    db.session.flush()
    if wanted is not None and (wanted != article.status or text_changed):
        _apply_wanted_status(article, actor, wanted)
    elif text_changed and article.status == ArticleStatus.PUBLISHED:
        # An approver's edit stays live; anyone else's waits for approval.
        _apply_wanted_status(article, actor, ArticleStatus.PUBLISHED)
    db.session.flush()
    audit.record(
        actor,
        "kb.article.update",
        article,
        f"修改文章《{article.title}》" + (f"（{'、'.join(changes)}）" if changes else ""),
        {"revision": article.revision_number, "status": article.status.value},
    )
    return article


def submit_article(article: Article, actor: User) -> Article:
    if not can_edit(actor, article):
        raise Forbidden()
    if article.status != ArticleStatus.DRAFT:
        raise KbError("只有草稿可以送审")
    _apply_wanted_status(article, actor, ArticleStatus.REVIEW)
    db.session.flush()
    audit.record(actor, "kb.article.submit", article, f"送审文章《{article.title}》")
    return article


def approve_article(article: Article, actor: User) -> Article:
    if not can_approve(actor):
        raise Forbidden("只有组织员和管理员可以审核文章。")
    if article.status == ArticleStatus.PUBLISHED:
        raise KbError("这篇文章已经发布")
    _go_live(article, actor)
    db.session.flush()
    audit.record(
        actor,
        "kb.article.approve",
        article,
        f"审核通过《{article.title}》",
        {"revision": article.revision_number},
    )
    if article.author_id and article.author_id != actor.id:
        _notify(
            [article.author_id],
            "文章已发布",
            f"您的文章《{article.title}》已审核通过并发布。",
            article,
            "kb.approved",
        )
    return article


def reject_article(article: Article, actor: User, note: str) -> Article:
    if not can_approve(actor):
        raise Forbidden("只有组织员和管理员可以审核文章。")
    if article.status != ArticleStatus.REVIEW:
        raise KbError("只有待审核的文章可以退回")
    note = (note or "").strip()
    if not note:
        raise KbError("请写明退回原因", "note")
    article.status = ArticleStatus.DRAFT
    article.review_note = note[:500]
    db.session.flush()
    audit.record(actor, "kb.article.reject", article, f"退回文章《{article.title}》", {"note": note[:500]})
    if article.author_id and article.author_id != actor.id:
        _notify(
            [article.author_id],
            "文章被退回修改",
            f"《{article.title}》：{note[:200]}",
            article,
            "kb.rejected",
        )
    return article


def unpublish_article(article: Article, actor: User) -> Article:
    """Take an article off the column (back to draft); its revisions stay."""
    if not can_approve(actor):
        raise Forbidden()
    if not article.is_live:
        raise KbError("这篇文章尚未发布")
    article.live_revision_number = None
    article.status = ArticleStatus.DRAFT
    db.session.flush()
    audit.record(actor, "kb.article.unpublish", article, f"撤下文章《{article.title}》")
    return article


def delete_article(article: Article, actor: User) -> None:
    """Delete an article with its revisions and files. Approvers only, or the author of a draft
    that was never published."""
    if not (can_approve(actor) or (can_edit(actor, article) and not article.is_live)):
        raise Forbidden("您不能删除这篇文章。")
    files = [a.stored_name for a in article.attachments] + (
        [article.cover_file] if article.cover_file else []
    )
    audit.record(actor, "kb.article.delete", article, f"删除文章《{article.title}》")
    db.session.delete(article)
    db.session.flush()
    _remove_files_after_commit(files)


# --- revisions ------------------------------------------------------------------------------------


def revisions(article: Article) -> list[ArticleRevision]:
    return list(
        db.session.scalars(
            sa.select(ArticleRevision)
            .where(ArticleRevision.article_id == article.id)
            .order_by(ArticleRevision.number.desc())
        )
    )


def get_revision(article: Article, number: int) -> ArticleRevision:
    revision = db.session.scalars(
        sa.select(ArticleRevision).where(
            ArticleRevision.article_id == article.id, ArticleRevision.number == number
        )
    ).first()
    if revision is None:
        raise NotFound()
    return revision


@dataclass(frozen=True)
class DiffLine:
    #: ``add``, ``remove``, ``context`` or ``hunk`` (a ``@@`` position line).
    kind: str
    text: str


def revision_diff(old: ArticleRevision, new: ArticleRevision) -> list[DiffLine]:
    """A unified line diff of title, summary and body between two revisions (text, for escaping)."""

    def lines(r: ArticleRevision) -> list[str]:
        return [f"# {r.title}", *([f"> {r.summary}"] if r.summary else []), "", *r.body.split("\n")]

    out = []
    for line in difflib.unified_diff(
        lines(old), lines(new), f"第 {old.number} 版", f"第 {new.number} 版", lineterm=""
    ):
        if line.startswith(("---", "+++")):
            continue
        kind = {"@": "hunk", "+": "add", "-": "remove"}.get(line[:1], "context")
        out.append(DiffLine(kind, line[1:] if kind != "hunk" else line))
    return out


def restore_revision(article: Article, number: int, actor: User) -> Article:
    """Bring back an old revision's text as a new revision (history is never rewritten)."""
    revision = get_revision(article, number)
    if number == article.revision_number:
        raise KbError("这已经是当前版本")
    return update_article(
        article,
        actor,
        title=revision.title,
        summary=revision.summary,
        body=revision.body,
        note=f"恢复到第 {number} 版",
    )


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
            raise KbError(f"{what}是空的", "file") from exc
        if exc.reason == uploads.TOO_LARGE:
            raise KbError(f"{what}不能超过 {limit // (1024 * 1024)} MB", "file") from exc
        raise KbError(wrong_kind, "file") from exc


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
        stream, current_app.config["KB_MAX_ATTACHMENT_BYTES"], "附件", _pdf_kind, "附件只能是 PDF 文件"
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
        "封面图片",
        _image_kind,
        "封面只能是 PNG、JPEG、GIF 或 WebP 图片",
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
