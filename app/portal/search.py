"""How notices (党务公开) become search documents: published notices only, scoped to the branch
subtree they are addressed to (the whole company when they have no branch)."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.core.text import plain_text
from app.core.urls import site_path
from app.extensions import db
from app.org.models import Branch
from app.portal.models import Notice
from search_index import Adapter, SearchDocument, Visibility, register


def notice_document(notice: Notice) -> SearchDocument:
    body = plain_text(notice.body)
    if notice.location:
        body = f"{body}\n{notice.location}"
    return SearchDocument(
        type="notice",
        id=notice.id,
        title=notice.title,
        body=body,
        tags=[notice.kind_name] + ([notice.branch.name] if notice.branch is not None else []),
        url=site_path("portal.notice", notice_id=notice.id),
        updated_at=notice.updated_at,
        scope=notice.branch.path if notice.branch is not None else None,
        visibility=Visibility.PUBLIC if notice.is_published else Visibility.DRAFT,
        owner_id=notice.author_id,
    )


def _notices_of_branches(branch_ids: list[int]) -> list[int]:
    """A branch renamed or moved (its path changed): its notices' scope and tags change."""
    return list(db.session.scalars(sa.select(Notice.id).where(Notice.branch_id.in_(branch_ids))))


# Alike in shape to kb's and qa's register_search: one Adapter per domain, with its own fields.
def register_search() -> None:
    """Make these rows searchable (called from the domain's ``init_app``)."""
    register(
        Adapter(
            type="notice",
            label=_l("党务公开"),
            model=Notice,
            to_document=notice_document,
            follows={Branch: _notices_of_branches},
            order=50,
        )
    )
