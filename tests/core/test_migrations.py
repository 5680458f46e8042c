"""The schema comes from Alembic alone: it upgrades from empty, matches the models, and downgrades."""

import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app.config import TestConfig
from app.extensions import db
from search_index.pg_backend import TABLES
from tests.conftest import ROOT, _scratch_database, side_app


@pytest.fixture
def empty_database_url(tmp_path):
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgresql"):
        with _scratch_database(base) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"


def test_upgrade_from_empty_matches_models_and_downgrades_to_nothing(app, empty_database_url):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = empty_database_url

    scratch = side_app(Config, app)
    migrations = str(ROOT / "migrations")
    with scratch.app_context():
        upgrade(directory=migrations, revision="heads")
        with db.engine.connect() as conn:
            # The PostgreSQL search backend's tables exist without models (migration 0021).
            context = MigrationContext.configure(
                conn, opts={"include_name": lambda name, type_, _: not (type_ == "table" and name in TABLES)}
            )
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations disagree; run flask db migrate: {diff}"

        downgrade(directory=migrations, revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()

        upgrade(
            directory=migrations, revision="heads"
        )  # and back up again, as an operator rolling forward would
        assert "user" in sa.inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()
