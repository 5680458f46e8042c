"""Shared fixtures: one app and one migrated schema per session, a rolled-back transaction per test.

Set ``DATABASE_URL`` to run the suite against PostgreSQL; SQLite (a file in a temporary folder)
is the default. The schema is built by the Alembic migrations, never by ``create_all``. Set
``MEDIA_STORAGE=s3`` to keep media in a bucket of a SeaweedFS S3 server the run starts (a local
folder is the default).
"""

import os
import tempfile
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from flask.testing import FlaskClient
from flask_migrate import upgrade

from app import create_app
from app.accounts import services as account_services
from app.accounts.models import Role
from app.config import Config as BaseConfig
from app.config import TestConfig
from app.core.tasks import init_celery
from app.extensions import db
from app.org import services as org_services
from tests.helpers import config_set

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Passw0rd-test"


def pytest_collection_modifyitems(config, items):
    """Under xdist, the tests that start a real Celery worker run on one worker, one after another:
    each starts processes of its own and they are the suite's heaviest. So do the tests that fire
    many requests at once on a ``shared_app`` (up to 60 connections each): two at a time on two
    workers ran PostgreSQL out of connections ("too many clients already")."""
    for item in items:
        if item.get_closest_marker("integration") or "shared_app" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("integration"))


@contextmanager
def _scratch_database(base_url: str):
    """A new, empty PostgreSQL database next to ``base_url``'s, dropped afterwards, so concurrent
    runs (two developers, xdist workers) never share or wipe each other's schema."""
    name = f"hongke_t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def tmp_root():
    with tempfile.TemporaryDirectory(prefix="hongke-tests-") as folder:
        yield Path(folder)


@pytest.fixture(scope="session")
def database_url(tmp_root):
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        with _scratch_database(url) as scratch:
            yield scratch
    else:
        yield f"sqlite:///{tmp_root / 'test.sqlite'}"


def media_on_s3() -> bool:
    return os.environ.get("MEDIA_STORAGE", "local").lower() == "s3"


@pytest.fixture(scope="session")
def s3_server(tmp_root):
    """With ``MEDIA_STORAGE=s3``: a SeaweedFS S3 server of this run (``None`` otherwise), and the
    settings of every app the session builds pointed at a bucket of it; worker processes started
    by tests inherit them through the environment."""
    if not media_on_s3():
        yield None
        return
    from tests.s3server import SeaweedS3

    server = SeaweedS3(tmp_root / "seaweedfs").start()
    settings = server.settings(server.create_bucket())
    saved_env = {name: os.environ.get(name) for name in settings}
    saved_config = {name: getattr(BaseConfig, name) for name in settings}
    os.environ.update(settings)
    for name, value in settings.items():
        setattr(BaseConfig, name, value)
    try:
        yield server
    finally:
        for name, value in saved_config.items():
            setattr(BaseConfig, name, value)
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()


@pytest.fixture(scope="session")
def app(database_url, tmp_root, s3_server):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        MEDIA_ROOT = str(tmp_root / "media")
        SEARCH_INDEX_DIR = str(tmp_root / "search")
        IMPORT_DIR = str(tmp_root / "imports")
        EXPORT_DIR = str(tmp_root / "exports")
        MIGRATIONS_DIR = str(ROOT / "migrations")

    app = create_app(Config)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        yield app
        db.session.remove()
        db.engine.dispose()


def side_app(config_class, session_app):
    """Build another application (a live server's, a scratch database's) beside the session's.

    Celery is one process-wide instance that ``create_app`` configures, so it is handed straight
    back to the session app: tasks in tests keep running eagerly.
    """
    other = create_app(config_class)
    init_celery(session_app)
    return other


@contextmanager
def _rolled_back():
    """Bind the session to one connection whose transaction is rolled back at the end; services
    may commit freely (their commits are savepoints)."""
    engine = db.engine
    connection = engine.connect()
    outer = connection.begin()
    engines = db.engines
    engines[None] = connection
    db.session.remove()
    db.session.configure(join_transaction_mode="create_savepoint")
    try:
        yield
    finally:
        db.session.remove()
        outer.rollback()
        connection.close()
        engines[None] = engine


@pytest.fixture(autouse=True)
def _fresh_playback_memo(app):
    """The session app's remembered viewer checks are per test: ids repeat after a rollback."""
    yield
    app.extensions.pop("hongke.playback_access", None)


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Run each test inside a transaction that is rolled back, unless its module shares one."""
    if (
        "live_server" in request.fixturenames
        or "module_transaction" in request.fixturenames
        or request.node.get_closest_marker("integration")
    ):
        yield
        return
    with _rolled_back():
        yield


@pytest.fixture(scope="module")
def module_transaction(app):
    """One rolled-back transaction for a whole module, for data that is slow to build and only read
    by the module's tests (the demo seed): what one test writes, the next one sees."""
    with _rolled_back():
        yield


class FreshContextClient(FlaskClient):
    """Each request gets its own app context, as in production.

    The test session keeps an app context open; without this, requests would share its ``g``
    (Flask-Login's cached user, Babel's locale) and leak state from one request to the next.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = FreshContextClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def create_branch():
    """``create_branch(name, parent=None, kind=...)`` → a committed branch."""

    def factory(name, parent=None, kind=None):
        kind = kind or ("committee" if parent is None else "branch")
        branch = org_services.create_branch(name, kind, parent, actor=None)
        db.session.commit()
        return branch

    return factory


@pytest.fixture
def org_tree(create_branch):
    """公司党委 → two 党总支 → two 党支部 each."""
    root = create_branch("公司党委")
    a = create_branch("机关党总支", root, "general_branch")
    b = create_branch("生产党总支", root, "general_branch")
    return {
        "root": root,
        "a": a,
        "b": b,
        "a1": create_branch("机关第一党支部", a),
        "a2": create_branch("机关第二党支部", a),
        "b1": create_branch("生产运行党支部", b),
        "b2": create_branch("设备检修党支部", b),
    }


_serial = iter(range(10_000, 99_999))


@pytest.fixture
def create_user():
    """``create_user(roles=("member",), branch=None, **fields)`` → a committed user with PASSWORD."""

    def factory(*roles, branch=None, employee_no=None, name="测试用户", mobile=None, password=PASSWORD):
        n = next(_serial)
        data = account_services.UserData(
            employee_no=employee_no or f"U{n}",
            name=name,
            mobile=mobile or f"139{n:08d}",
            branch_id=branch.id if branch else None,
        )
        user = account_services.create_user(data, roles or [Role.MEMBER], actor=None, password=password)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def login(client):
    """``login(user)`` signs ``user`` in on the test client."""

    def do_login(user, password=PASSWORD):
        response = client.post("/login", data={"identifier": user.employee_no, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return do_login


@pytest.fixture
def count_queries(app):
    """Count the SQL statements run inside ``with count_queries() as counter:`` (catches N+1)."""

    @contextmanager
    def counter():
        statements = []

        def listener(conn, cursor, statement, *args):
            statements.append(statement)

        engine = db.engines[None]
        target = engine.engine if isinstance(engine, sa.Connection) else engine
        sa.event.listen(target, "before_cursor_execute", listener)
        try:
            yield statements
        finally:
            sa.event.remove(target, "before_cursor_execute", listener)

    return counter


@pytest.fixture
def csrf_enabled(app):
    """CSRF protection switched on, as in production (the test configuration turns it off)."""
    with config_set(app, WTF_CSRF_ENABLED=True):
        yield


@pytest.fixture
def login_as(create_user, login):
    """``login_as(role, branch=None)`` → a new user holding ``role``, signed in on the test client."""

    def factory(*roles, branch=None, **fields):
        user = create_user(*roles, branch=branch, **fields)
        login(user)
        return user

    return factory


@pytest.fixture
def shared_app(app, tmp_path):
    """An app on its own database (a file, or a scratch PostgreSQL one) that threads really share:
    for tests that fire many requests or service calls at once. Its data is committed, not rolled
    back, and the database is dropped afterwards."""
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgresql"):
        context = _scratch_database(base)
        url = context.__enter__()
    else:
        context, url = None, f"sqlite:///{tmp_path / 'shared.sqlite'}"

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        # 40 at most: PostgreSQL here allows 100 clients, and the other test worker (its app,
        # a live server for the browser tests) and this worker's own app hold up to 45 (60 ran
        # out: "too many clients already"). More threads than that wait for a connection.
        SQLALCHEMY_ENGINE_OPTIONS = (
            {"pool_size": 40, "max_overflow": 0, "pool_timeout": 60} if url.startswith("postgresql") else {}
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


class Clock:
    """The server's clock, standing still until a test moves it: ``clock.advance(15)``; ``clock.now``."""

    def __init__(self, traveller, start: datetime):
        self.traveller, self.now = traveller, start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        self.traveller.move_to(self.now)
        return self.now


@pytest.fixture
def clock_start() -> datetime:
    """Where ``clock`` starts: now, unless a package's conftest names a fixed moment."""
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def clock(clock_start):
    """The one movable clock of the test suite (time_machine: the server and the database defaults
    see the same time)."""
    with time_machine.travel(clock_start, tick=False) as traveller:
        yield Clock(traveller, clock_start)
