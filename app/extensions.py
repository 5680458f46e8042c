"""Bare extension instances; ``create_app`` binds them to the application."""

from celery import Celery
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

#: Named constraints, so Alembic can drop and alter them on every backend (SQLite included).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Database(SQLAlchemy):
    def paginate(self, select, **kwargs):
        """``SQLAlchemy.paginate`` with the page number bounded (a huge ``?page=`` is past the end)."""
        from app.core.pagination import BoundedSelectPagination  # app.core.pagination imports db

        kwargs.setdefault("max_per_page", None)  # as SQLAlchemy.paginate: the caller sets per_page
        return BoundedSelectPagination(select=select, session=self.session(), **kwargs)


db = Database(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()
celery = Celery("hongke")
