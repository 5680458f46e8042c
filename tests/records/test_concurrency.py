"""Fifty identical heartbeats at once credit exactly once, on the configured database."""

import os
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine
from flask_migrate import upgrade

from app.accounts import services as accounts
from app.config import TestConfig
from app.extensions import db
from app.records import services
from app.records.models import HoursEntry, LessonProgress
from tests.conftest import ROOT, _scratch_database, side_app
from tests.records.conftest import START

pytestmark = pytest.mark.integration


@pytest.fixture
def shared_app(app, tmp_path):
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgresql"):
        context = _scratch_database(base)
        url = context.__enter__()
    else:
        context, url = None, f"sqlite:///{tmp_path / 'concurrency.sqlite'}"

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = (
            {"pool_size": 60, "max_overflow": 0} if url.startswith("postgresql") else {}
        )

    shared = side_app(Config, app)
    with shared.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        db.session.remove()
    yield shared
    with shared.app_context():
        db.session.remove()
        db.engine.dispose()
    if context is not None:
        context.__exit__(None, None, None)


def test_fifty_identical_heartbeats_at_once_credit_exactly_once(shared_app):
    facts = services.LessonFacts(1, 1, "video", 60.0, 0.95, lambda: Decimal("1.25"), None, "三会一课")
    policy = services.AccountingPolicy.from_config(shared_app.config)
    with time_machine.travel(START, tick=False) as traveller, shared_app.app_context():
        member = accounts.create_user(
            accounts.UserData(employee_no="C50", name="并发", mobile="13955550000"),
            ["member"],
            None,
            "Passw0rd-x",
        )
        db.session.commit()
        user_id = member.id
        beat = services.Heartbeat("tab-concurrent", 0, 0.0, 1.0, True, "play")
        services.record_heartbeat(member, facts, beat, policy)
        db.session.commit()
        for seq in range(1, 4):  # 45 s watched
            traveller.shift(15)
            services.record_heartbeat(
                member,
                facts,
                services.Heartbeat("tab-concurrent", seq, 15.0 * seq, 1.0, True, "tick"),
                policy,
            )
            db.session.commit()
        db.session.remove()
        traveller.shift(15)

        the_beat = services.Heartbeat("tab-concurrent", 4, 60.0, 1.0, True, "tick")  # completes the lesson
        barrier = threading.Barrier(50)
        results, errors = [], []

        def send():
            try:
                with shared_app.app_context():
                    barrier.wait(timeout=30)  # before touching the database: all fifty go at once
                    user = db.session.get(type(member), user_id)
                    state = services.record_heartbeat(user, facts, the_beat, policy)
                    db.session.commit()
                    results.append(state)
            except Exception as exc:  # reported below: any error fails the test
                errors.append(repr(exc))

        threads = [threading.Thread(target=send) for _ in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)

        assert errors == []
        assert len(results) == 50
        assert all(r.completed and r.credited_hours == 1.25 for r in results)
        entries = db.session.scalars(sa.select(HoursEntry).where(HoursEntry.user_id == user_id)).all()
        assert [e.hours for e in entries] == [Decimal("1.25")]
        progress = db.session.scalars(sa.select(LessonProgress)).one()
        assert progress.covered_seconds == pytest.approx(60)
        assert list(services.verify_ledger()) == []
