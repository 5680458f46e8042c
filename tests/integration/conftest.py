"""Real services for integration tests: a migrated database the worker shares, Redis, and Celery
worker processes started (and killed) by the test.

With ``DATABASE_URL`` pointing at PostgreSQL each test gets a fresh PostgreSQL database;
otherwise a SQLite file. The broker is always a real Redis (started if it is down).
"""

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from flask_migrate import upgrade

from app import create_app
from app.config import Config
from app.core.tasks import init_celery
from app.extensions import celery, db
from tests.conftest import _scratch_database

ROOT = Path(__file__).resolve().parents[2]
REDIS_START = (
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no '
    "--dir /var/lib/redis --logfile /var/log/redis/ci.log"
)
CLAIM_KEY = "hongke:test-run"


def _claim_redis_db(host: str = "127.0.0.1", port: int = 6379) -> redis.Redis:
    """A Redis database of this test run's own (15 down to 1, never 0): claimed with a key that
    expires, so two runs on one machine never flush or consume each other's queues."""
    for number in range(15, 0, -1):
        client = redis.Redis(host=host, port=port, db=number)
        if client.set(CLAIM_KEY, os.getpid(), nx=True, ex=3600):
            return client
    pytest.fail("every Redis database 1-15 is claimed by another test run")


def _ensure_redis_running() -> None:
    client = redis.Redis(host="127.0.0.1", port=6379)
    try:
        client.ping()
        return
    except redis.ConnectionError:
        subprocess.run(REDIS_START, shell=True, check=False)  # noqa: S602 -- the documented start command
    for _ in range(50):
        try:
            client.ping()
            return
        except redis.ConnectionError:
            time.sleep(0.1)
    pytest.fail("Redis is not running on 127.0.0.1:6379 and could not be started")


@pytest.fixture(scope="session")
def redis_url():
    _ensure_redis_running()
    client = _claim_redis_db()
    number = client.connection_pool.connection_kwargs["db"]
    client.flushdb()
    client.set(CLAIM_KEY, os.getpid(), ex=3600)  # flushdb took the claim with it
    yield f"redis://127.0.0.1:6379/{number}"
    client.flushdb()  # the claim goes too: the database is free again


@pytest.fixture
def live_database(tmp_path):
    """A fresh, migrated database URL that this process and worker processes share."""
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgresql"):
        with _scratch_database(base) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'live.sqlite'}"


@pytest.fixture
def live_env(live_database, redis_url, tmp_path, s3_server) -> dict:
    """The environment a worker of this test runs with (the embedded config, real services; with
    ``MEDIA_STORAGE=s3``, a bucket of its own, as its database and media folder are its own)."""
    env = {
        **os.environ,
        "HONGKE_CONFIG": "development",
        "SECRET_KEY": "integration-secret",
        "DATABASE_URL": live_database,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_VISIBILITY_TIMEOUT": "8",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "SEARCH_INDEX_DIR": str(tmp_path / "search"),
        "IMPORT_DIR": str(tmp_path / "imports"),
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST_KIB": "1024",
    }
    if s3_server is not None:
        env.update(s3_server.settings(s3_server.create_bucket()))
    return env


@pytest.fixture
def live_app(app, live_env):
    """An app in this process on the live database and broker, for enqueueing and checking results."""

    class LiveConfig(Config):
        SECRET_KEY = live_env["SECRET_KEY"]
        SQLALCHEMY_DATABASE_URI = live_env["DATABASE_URL"]
        CELERY_BROKER_URL = live_env["CELERY_BROKER_URL"]
        CELERY_RESULT_BACKEND = live_env["CELERY_RESULT_BACKEND"]
        CELERY_TASK_ALWAYS_EAGER = False
        CELERY_VISIBILITY_TIMEOUT = int(live_env["CELERY_VISIBILITY_TIMEOUT"])
        MEDIA_ROOT = live_env["MEDIA_ROOT"]
        MEDIA_S3_BUCKET = live_env.get("MEDIA_S3_BUCKET", Config.MEDIA_S3_BUCKET)
        SEARCH_INDEX_DIR = live_env["SEARCH_INDEX_DIR"]
        IMPORT_DIR = live_env["IMPORT_DIR"]
        ARGON2_TIME_COST = 1
        ARGON2_MEMORY_COST_KIB = 1024
        MIGRATIONS_DIR = str(ROOT / "migrations")

    live = create_app(LiveConfig)
    with live.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        yield live
        db.session.remove()
        db.engine.dispose()
    celery.close()
    init_celery(app)  # the shared Celery instance goes back to the test session's eager config


def wait_for(predicate, timeout: float = 60, interval: float = 0.3) -> bool:
    """Poll ``predicate`` until it is true; each poll ends its read transaction, because on SQLite
    an open transaction holds the write lock the worker needs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        finally:
            db.session.rollback()
        time.sleep(interval)
    return False


class WorkerProcess:
    """One ``celery worker`` process group, as an operator would start it."""

    def __init__(self, env: dict, log_path: Path, queues: str = "default,media", extra: tuple = ()):
        self.env, self.log_path, self.queues, self.extra = env, log_path, queues, extra
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "WorkerProcess":
        celery_bin = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
        log = self.log_path.open("ab")
        offset = self.log_path.stat().st_size
        self.process = subprocess.Popen(
            [
                celery_bin,
                "-A",
                "wsgi.celery",
                "worker",
                "-Q",
                self.queues,
                "-c",
                "1",
                "-l",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"it-{uuid.uuid4().hex[:6]}@%h",
                *self.extra,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so kill() takes its children too
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log()}")
            if b" ready." in self.log_path.read_bytes()[offset:]:
                return self
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready after {timeout}s:\n{self.log()}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Kill the whole process group at once, as a crashed machine or the OOM killer would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]


@pytest.fixture
def celery_worker(live_app, live_env, tmp_path):
    """``celery_worker()`` starts a real worker on the live database and Redis; stopped at teardown."""
    workers: list[WorkerProcess] = []

    def start(**kwargs) -> WorkerProcess:
        worker = WorkerProcess(live_env, tmp_path / "worker.log", **kwargs).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
