"""How knowledge-base articles become search documents: readers see the live (approved) revision,
so that is what is indexed; an article that is not live is not searchable."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.core.text import plain_text
from app.core.urls import site_path
from app.extensions import db
from app.kb.models import Article
from search_index import Adapter, SearchDocument, Visibility, register


def article_document(article: Article) -> SearchDocument:
    live = article.live
    tags = [tag.name for tag in article.tags]
    if article.category is not None:
        tags.append(article.category.name)
    return SearchDocument(
        type="article",
        id=article.id,
        title=live.title if live else article.title,
        body=plain_text(f"{live.summary}\n\n{live.body}") if live else "",
        tags=tags,
        url=site_path("kb.article", article_id=article.id),
        updated_at=article.updated_at,
        visibility=Visibility.PUBLIC if live is not None else Visibility.DRAFT,
        owner_id=article.author_id,
    )


def _load(ids: list[int]):
    return db.session.scalars(sa.select(Article).where(Article.id.in_(ids))).unique()


# Alike in shape to qa's register_search: one Adapter per domain, with its own fields.
def register_search() -> None:
    """Make these rows searchable (called from the domain's ``init_app``)."""
    register(
        Adapter(
            type="article",
            label=_l("知识百科"),
            model=Article,
            to_document=article_document,
            load=_load,
            order=30,
        )
    )
