"""Knowledge-base operations. Callers own the transaction; every change is flushed and audited.

Who may do what:

* anyone signed in reads live (approved) articles;
* trainers write articles and edit their own; coordinators and admins edit any and approve;
* a trainer's change to a published article waits in review while readers keep the approved text.
"""

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import Role, User
from app.core import audit
from app.core.errors import DomainError
from app.core.text import plain_text, render_markdown
from app.core.transactions import insert_in_savepoint
from app.core.urls import id_from
from app.extensions import db
from app.kb.models import (
    TAG_MAX,
    TAGS_PER_ITEM,
    Article,
    ArticleCategory,
    ArticleStatus,
    Tag,
    article_tag,
)
from app.org.models import Branch

logger = logging.getLogger(__name__)


class KbError(DomainError):
    """A problem the user caused; ``field`` names the input at fault."""


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


# Alike in shape to portal's get_notice_for, kept apart: different rights (edit vs manage).
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
            raise KbError(_("标签必须是文字"), field="tags")
        name = _SPACES.sub(" ", item).strip().lstrip("#＃").strip()
        if not name:
            continue
        if len(name) > TAG_MAX:
            raise KbError(
                _("标签「%(name)s…」太长，不能超过 %(tag_max)s 个字", name=name[:TAG_MAX], tag_max=TAG_MAX),
                field="tags",
            )
        if name.lower() not in {n.lower() for n in names}:
            names.append(name)
    if len(names) > TAGS_PER_ITEM:
        raise KbError(_("标签最多 %(tags_per_item)s 个", tags_per_item=TAGS_PER_ITEM), field="tags")
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
            tag = Tag(name=name)
            if not insert_in_savepoint(tag):  # another request created it meanwhile
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
        raise KbError(_("分类应为分类编号或分类名称"), field="category")
    if isinstance(reference, int) or (reference.isascii() and reference.isdigit()):
        category_id = id_from(reference)
        category = db.session.get(ArticleCategory, category_id) if category_id else None
    else:
        matches = list(
            db.session.scalars(sa.select(ArticleCategory).where(ArticleCategory.name == reference.strip()))
        )
        category = matches[0] if len(matches) == 1 else None
        if len(matches) > 1:
            raise KbError(
                _("有多个名为「%(reference)s」的分类，请用分类编号", reference=reference), field="category"
            )
    if category is None:
        raise KbError(_("分类「%(reference)s」不存在", reference=reference), field="category")
    return category


def create_category(name: str, parent: ArticleCategory | None, actor: User) -> ArticleCategory:
    name = _SPACES.sub(" ", name or "").strip()
    if not name:
        raise KbError(_("分类名称不能为空"), field="name")
    if len(name) > 50:
        raise KbError(_("分类名称不能超过 50 个字"), field="name")
    same_parent = (
        ArticleCategory.parent_id.is_(None) if parent is None else ArticleCategory.parent_id == parent.id
    )
    if db.session.scalar(sa.select(ArticleCategory.id).where(ArticleCategory.name == name, same_parent)):
        raise KbError(_("同一上级下已有名为「%(name)s」的分类", name=name), field="name")
    category = ArticleCategory(name=name, parent=parent, depth=(parent.depth + 1) if parent else 0)
    db.session.add(category)
    db.session.flush()
    category.path = f"{parent.path if parent else '/'}{category.id}/"
    db.session.flush()
    audit.record(actor, "kb.category.create", category, f"创建知识分类 {name}")
    return category


# Alike in shape to org's delete_branch, kept apart: different children and messages.
def delete_category(category: ArticleCategory, actor: User) -> None:
    if db.session.scalar(sa.select(sa.func.count()).where(ArticleCategory.parent_id == category.id)):
        raise KbError(_("「%(name)s」下还有子分类，不能删除", name=category.name))
    if db.session.scalar(sa.select(sa.func.count()).where(Article.category_id == category.id)):
        raise KbError(_("「%(name)s」下还有文章，请先移走文章再删除", name=category.name))
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
