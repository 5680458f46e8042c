"""Writing the knowledge base: articles from draft to review to published, their revisions, and
the audit and notices each step leaves. Callers own the transaction; every change is flushed.
"""

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import Role, User, UserRole
from app.core import audit
from app.core.clock import utcnow
from app.core.signals import notification_requested
from app.core.urls import site_path
from app.extensions import db
from app.kb.files import _remove_files_after_commit
from app.kb.models import (
    BODY_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    Article,
    ArticleCategory,
    ArticleRevision,
    ArticleStatus,
)
from app.kb.services import _SPACES, KbError, can_approve, can_edit, can_write, get_or_create_tags, parse_tags

# --- writing --------------------------------------------------------------------------------------


def _clean_text(title: str, summary: str, body: str) -> tuple[str, str, str]:
    if not isinstance(title, str) or not title.strip():
        raise KbError(_("请填写标题"), field="title")
    title = _SPACES.sub(" ", title).strip()
    if len(title) > TITLE_MAX:
        raise KbError(
            _("标题不能超过 %(title_max)s 个字（现有 %(count)s 个）", title_max=TITLE_MAX, count=len(title)),
            field="title",
        )
    if not isinstance(summary, str):
        raise KbError(_("摘要必须是文字"), field="summary")
    summary = _SPACES.sub(" ", summary).strip()
    if len(summary) > SUMMARY_MAX:
        raise KbError(_("摘要不能超过 %(summary_max)s 个字", summary_max=SUMMARY_MAX), field="summary")
    if not isinstance(body, str) or not body.strip():
        raise KbError(_("请填写正文"), field="body")
    if len(body) > BODY_MAX:
        raise KbError(_("正文不能超过 %(body_max)s 个字", body_max=BODY_MAX), field="body")
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
        raise Forbidden(_("只有讲师、组织员和管理员可以撰写文章。"))
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
        raise KbError(
            _("状态只能是 draft（草稿）、review（送审）或 published（发布）"), field="status"
        ) from None


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
        raise Forbidden(_("您不能编辑这篇文章。"))
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
        raise KbError(_("只有草稿可以送审"))
    _apply_wanted_status(article, actor, ArticleStatus.REVIEW)
    db.session.flush()
    audit.record(actor, "kb.article.submit", article, f"送审文章《{article.title}》")
    return article


def approve_article(article: Article, actor: User) -> Article:
    if not can_approve(actor):
        raise Forbidden(_("只有组织员和管理员可以审核文章。"))
    if article.status == ArticleStatus.PUBLISHED:
        raise KbError(_("这篇文章已经发布"))
    _go_live(article, actor)
    db.session.flush()
    audit.record(
        actor,
        "kb.article.approve",
        article,
        f"审核通过《{article.title}》",
        {"revision": article.revision_number},
    )
    # Alike in shape to the _notify calls in qa.services: different recipients, words and links.
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
        raise Forbidden(_("只有组织员和管理员可以审核文章。"))
    if article.status != ArticleStatus.REVIEW:
        raise KbError(_("只有待审核的文章可以退回"))
    note = (note or "").strip()
    if not note:
        raise KbError(_("请写明退回原因"), field="note")
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
        raise KbError(_("这篇文章尚未发布"))
    article.live_revision_number = None
    article.status = ArticleStatus.DRAFT
    db.session.flush()
    audit.record(actor, "kb.article.unpublish", article, f"撤下文章《{article.title}》")
    return article


def delete_article(article: Article, actor: User) -> None:
    """Delete an article with its revisions and files. Approvers only, or the author of a draft
    that was never published."""
    if not (can_approve(actor) or (can_edit(actor, article) and not article.is_live)):
        raise Forbidden(_("您不能删除这篇文章。"))
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
        raise KbError(_("这已经是当前版本"))
    return update_article(
        article,
        actor,
        title=revision.title,
        summary=revision.summary,
        body=revision.body,
        note=f"恢复到第 {number} 版",
    )
