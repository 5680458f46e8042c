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


# The live-facts unique index of certificates (0031) is over expressions, which neither dialect's
# reflection compares: it is built by the migration and checked by the twin test below.
@pytest.mark.filterwarnings("ignore:.*expression-based index:UserWarning")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
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


def test_twin_certificates_made_before_the_unique_index_keep_the_first_serial(app, empty_database_url):
    """Migration 0031: live certificates with the same facts (two exports at once, before the index)
    leave one standing; the later twins are revoked with a reason naming the serial that stands."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from app.accounts import services as accounts
    from app.records.models import Certificate

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = empty_database_url

    scratch = side_app(Config, app)
    migrations = str(ROOT / "migrations")
    with scratch.app_context():
        upgrade(directory=migrations, revision="0030_job_heartbeat")
        member = accounts.create_user(
            accounts.UserData(employee_no="T01", name="双证", mobile="13955557777"),
            ["member"],
            None,
            "Passw0rd-x",
        )
        db.session.flush()
        when = datetime(2026, 6, 1, tzinfo=UTC)

        def proof(serial, hours="3.50", year=2026):
            return Certificate(
                serial=serial, user_id=member.id, kind="annual", year=year, title="学时证明",
                holder_name=member.name, hours=Decimal(hours), completed_at=when, issued_at=when,
                last_entry_id=0, revoked_reason="",
            )  # fmt: skip

        db.session.add_all([proof("HK-A"), proof("HK-B"), proof("HK-C"), proof("HK-D", hours="4.00")])
        db.session.commit()
        upgrade(directory=migrations, revision="heads")

        rows = db.session.execute(
            sa.select(
                Certificate.serial, Certificate.revoked_at.is_not(None), Certificate.revoked_reason
            ).order_by(Certificate.serial)
        ).all()
        assert rows == [
            ("HK-A", False, ""),
            ("HK-B", True, "重复签发，以 HK-A 为准"),
            ("HK-C", True, "重复签发，以 HK-A 为准"),
            ("HK-D", False, ""),  # other hours: other facts
        ]
        db.session.remove()
        db.engine.dispose()
