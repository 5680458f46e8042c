"""Pagination: page numbers bounded for every ``db.paginate``, and rows of several columns."""

from flask import current_app
from flask_sqlalchemy.pagination import Pagination, SelectPagination

from app.extensions import db

#: No list has this many pages; a larger ``?page=`` is simply past the end (an empty page). Without a
#: bound, ``?page=99999999999999999999`` made an OFFSET no database accepts: a 500 instead of a page.
MAX_PAGE = 1_000_000


class BoundedSelectPagination(SelectPagination):
    """What ``db.paginate`` returns (see :class:`app.extensions.Database`): the page number from the
    request or the caller is held to :data:`MAX_PAGE`, and the rows per page to the MAX_PER_PAGE
    setting. Without that bound, a list paginated from the request's own ``?per_page=`` (or an API
    whose own cap is generous) loaded and rendered as many rows as anyone asked for."""

    @staticmethod
    def _prepare_page_args(**kwargs) -> tuple[int, int]:
        page, per_page = Pagination._prepare_page_args(**kwargs)
        return min(page, MAX_PAGE), min(per_page, current_app.config["MAX_PER_PAGE"])


class RowPagination(BoundedSelectPagination):
    """Like :class:`SelectPagination`, with each item a row (a tuple of the selected columns)."""

    def _query_items(self) -> list:
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(select).all())


def paginate_rows(select, *, per_page: int | None = None, max_per_page: int | None = None) -> RowPagination:
    """Paginate ``select`` from the request's ``page``/``per_page`` arguments; rows, not scalars."""
    return RowPagination(
        select=select,
        session=db.session(),
        per_page=per_page or current_app.config["ITEMS_PER_PAGE"],
        max_per_page=max_per_page,
        error_out=False,
        count=True,
    )
