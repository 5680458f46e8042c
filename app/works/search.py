"""Published works as search documents (title and text); nothing in review or returned."""

from flask_babel import lazy_gettext as _l

from app.core.text import plain_text
from app.core.urls import site_path
from app.works.models import Work, WorkStatus
from search_index import Adapter, SearchDocument, Visibility, register


# Alike in shape to courses' course_document: each domain maps its own rows to a SearchDocument.
def work_document(work: Work) -> SearchDocument:
    return SearchDocument(
        type="work",
        id=work.id,
        title=work.title,
        body=plain_text(work.body),
        url=site_path("works.detail", work_id=work.id),
        updated_at=work.updated_at,
        visibility=Visibility.PUBLIC if work.status is WorkStatus.PUBLISHED else Visibility.DRAFT,
        owner_id=work.author_id,
    )


def register_search() -> None:
    register(Adapter(type="work", label=_l("党员风采"), model=Work, to_document=work_document, order=63))
