"""Transaction helpers.

:func:`on_transaction_end` runs something once the caller's transaction has really committed (or
rolled back). Files written next to a row, and tasks enqueued about a row, must follow the database:
a worker must not look for a notification that is not committed yet, and a rolled-back upload must
not leave its file behind. Savepoints ending do not count; only the outermost transaction does.

:func:`insert_or_skip` is an INSERT that skips rows clashing on a unique key, on SQLite and
PostgreSQL alike (``ON CONFLICT DO NOTHING``): concurrent writers of the same row both succeed.
:func:`insert_in_savepoint` adds one object in a SAVEPOINT and says whether it won: a concurrent
insert of the same key makes it lose without undoing the caller's other work.
"""

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from app.extensions import db


def insert_or_skip(model, unique: list[str]):
    """An INSERT into ``model`` that skips rows clashing on ``unique`` (ON CONFLICT DO NOTHING)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model).on_conflict_do_nothing(index_elements=unique)


def insert_in_savepoint(obj) -> bool:
    """Insert ``obj`` in a SAVEPOINT; False when a concurrent insert of the same key won."""
    try:
        with db.session.begin_nested():
            db.session.add(obj)
        return True
    except IntegrityError:
        return False


def on_transaction_end(
    on_commit: Callable[[], None] | None = None, on_rollback: Callable[[], None] | None = None
):
    session = db.session()
    state = {"done": False}

    def committed(sess):
        if state["done"] or sess.in_nested_transaction():
            return
        state["done"] = True
        if on_commit:
            on_commit()

    def rolled_back(_sess, previous):
        if state["done"] or previous.parent is not None:
            return
        state["done"] = True
        if on_rollback:
            on_rollback()

    sa.event.listen(session, "after_commit", committed)
    sa.event.listen(session, "after_soft_rollback", rolled_back)
