"""Pagination of selects that return rows of several columns (``db.paginate`` keeps only the first)."""

from flask import current_app
from flask_sqlalchemy.pagination import SelectPagination

from app.extensions import db


class RowPagination(SelectPagination):
    """Like :class:`SelectPagination`, with each item a row (a tuple of the selected columns)."""

    def _query_items(self) -> list:
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(select).all())


def paginate_rows(select, *, per_page: int | None = None, max_per_page: int | None = 500) -> RowPagination:
    """Paginate ``select`` from the request's ``page``/``per_page`` arguments; rows, not scalars."""
    return RowPagination(
        select=select,
        session=db.session(),
        per_page=per_page or current_app.config["ITEMS_PER_PAGE"],
        max_per_page=max_per_page,
        error_out=False,
        count=True,
    )
