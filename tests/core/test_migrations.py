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


def test_twin_certificates_made_before_the_unique_index_stay_valid_and_the_first_is_handed_out(
    app, empty_database_url
):
    """Migration 0031: live certificates with the same facts (two exports at once, before the index)
    all stay valid (any may be on paper); the later twins are marked and never handed out again."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from app.accounts import services as accounts
    from app.core.types import UTCDateTime
    from app.records import certificates
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
        rows = sa.table(  # the table as revision 0030 made it (the model has a column more now)
            "certificate",
            *(sa.column(c) for c in ("serial", "user_id", "kind", "year", "title", "holder_name")),
            sa.column("hours", sa.Numeric(8, 2)),
            sa.column("completed_at", UTCDateTime()),
            sa.column("issued_at", UTCDateTime()),
            *(sa.column(c) for c in ("last_entry_id", "revoked_reason")),
        )
        for serial, hours in (("HK-A", "3.50"), ("HK-B", "3.50"), ("HK-C", "3.50"), ("HK-D", "4.00")):
            db.session.execute(
                rows.insert().values(
                    serial=serial, user_id=member.id, kind="annual", year=2026, title="学时证明",
                    holder_name=member.name, hours=Decimal(hours), completed_at=when, issued_at=when,
                    last_entry_id=0, revoked_reason="",
                )
            )  # fmt: skip
        db.session.commit()
        upgrade(directory=migrations, revision="heads")

        by_serial = {c.serial: c for c in db.session.scalars(sa.select(Certificate))}
        assert all(c.revoked_at is None for c in by_serial.values())  # every paper still verifies
        first = by_serial["HK-A"].id
        assert {s: c.twin_of_id for s, c in by_serial.items()} == {
            "HK-A": None,
            "HK-B": first,
            "HK-C": first,
            "HK-D": None,  # other hours: other facts
        }
        again = certificates._live(member.id, "annual", Decimal("3.50"), year=2026)
        assert again.serial == "HK-A"
        db.session.remove()
        db.engine.dispose()
