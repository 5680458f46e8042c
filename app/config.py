"""Configuration, read from the environment. Nothing else in the project reads ``os.environ``."""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = BASE_DIR / "instance"
VAR_DIR = BASE_DIR / "var"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _local_secret_key() -> str:
    """A random key kept in ``instance/`` so the embedded run keeps sessions across restarts."""
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


class Config:
    """The embedded defaults: one machine, SQLite everywhere, nothing else to install."""

    ENV_NAME = "development"
    SECRET_KEY = _env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", _sqlite_url(INSTANCE_DIR / "hongke.sqlite"))
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True}

    CELERY_BROKER_URL = _env("CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite'}")
    CELERY_RESULT_BACKEND = _env("CELERY_RESULT_BACKEND", f"db+sqlite:///{VAR_DIR / 'celery-results.sqlite'}")
    CELERY_TASK_ALWAYS_EAGER = _env_bool("CELERY_TASK_ALWAYS_EAGER", False)
    CELERY_BEAT_SCHEDULE_FILE = _env("CELERY_BEAT_SCHEDULE_FILE", str(VAR_DIR / "celerybeat-schedule"))

    MEDIA_ROOT = _env("MEDIA_ROOT", str(VAR_DIR / "media"))
    SEARCH_INDEX_DIR = _env("SEARCH_INDEX_DIR", str(VAR_DIR / "search"))
    IMPORT_DIR = _env("IMPORT_DIR", str(VAR_DIR / "imports"))
    FFMPEG_BIN = _env("FFMPEG_BIN", "ffmpeg")
    FFPROBE_BIN = _env("FFPROBE_BIN", "ffprobe")

    #: Largest upload accepted by the web process (member imports); media uploads are chunked.
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 64 * 1024 * 1024)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("SESSION_HOURS", 12))
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead: a long form must not expire mid-typing

    #: Consecutive wrong passwords before an account is locked, and for how long.
    LOGIN_MAX_FAILURES = _env_int("LOGIN_MAX_FAILURES", 10)
    LOGIN_LOCK_MINUTES = _env_int("LOGIN_LOCK_MINUTES", 15)
    #: Failed logins accepted from one IP address within the window before it is refused.
    LOGIN_IP_MAX_FAILURES = _env_int("LOGIN_IP_MAX_FAILURES", 30)
    LOGIN_IP_WINDOW_MINUTES = _env_int("LOGIN_IP_WINDOW_MINUTES", 15)

    #: Argon2id cost: the OWASP-recommended profile (time 3, 64 MiB) unless lowered for tests.
    ARGON2_TIME_COST = _env_int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST_KIB = _env_int("ARGON2_MEMORY_COST_KIB", 65536)

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES: ClassVar[dict] = {"zh": "简体中文", "en": "English"}

    BOOTSTRAP_SERVE_LOCAL = True
    ITEMS_PER_PAGE = _env_int("ITEMS_PER_PAGE", 20)

    @classmethod
    def init_app(cls, app) -> None:
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = _local_secret_key()


class ProdConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)

    @classmethod
    def init_app(cls, app) -> None:
        if not app.config.get("SECRET_KEY"):
            raise RuntimeError("SECRET_KEY must be set in the environment for the production configuration")


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105 -- fixed so tests are repeatable; never used outside tests
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", "sqlite://")
    CELERY_TASK_ALWAYS_EAGER = _env_bool("CELERY_TASK_ALWAYS_EAGER", True)
    CELERY_BROKER_URL = _env("CELERY_BROKER_URL", "memory://")
    CELERY_RESULT_BACKEND = _env("CELERY_RESULT_BACKEND", "cache+memory://")
    WTF_CSRF_ENABLED = False
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST_KIB = 1024


CONFIGS = {"development": Config, "production": ProdConfig, "testing": TestConfig}


def config_from_environment() -> type[Config]:
    """``HONGKE_CONFIG`` picks the configuration class; the embedded defaults when unset."""
    name = _env("HONGKE_CONFIG", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"HONGKE_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]
