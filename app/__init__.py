"""Hongke (红课): the Flask application factory."""

import importlib
import logging

import sqlalchemy as sa
from flask import Flask, has_request_context, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import Config, config_from_environment
from app.extensions import babel, bootstrap, csrf, db, login_manager, migrate


def create_app(config_class: type[Config] | None = None) -> Flask:
    config_class = config_class or config_from_environment()
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config_class)
    config_class.init_app(app)
    # JSON keys in the order the code writes them (sorting 24,000 objects cost a tenth of a large
    # report's answer). Escapes stay ASCII: a lone surrogate a client sent and an error echoes back
    # could not be encoded as UTF-8 (a 500).
    app.json.sort_keys = False

    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register_extensions(app)
    register_url_converters(app)
    register_domains(app)
    register_static(app)
    register_errorhandlers(app)
    register_request_guards(app)
    register_template_helpers(app)
    register_cli(app)
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return app


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not the pysqlite driver, decide when transactions begin (see _sqlite_begin):
    # the driver's own handling breaks SAVEPOINTs, which nested transactions and tests rely on.
    dbapi_connection.isolation_level = None
    # WAL lets the web process read while a worker writes; the busy timeout waits out short locks.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection) -> None:
    # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes
    # can fail at once with "database is locked" when another process wrote in between.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _select_locale() -> str:
    supported = list(Config.LANGUAGES)
    if not has_request_context():  # CLI commands and Celery tasks speak the default language
        return "zh"
    if session.get("lang") in supported:
        return session["lang"]
    if current_user and current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    return request.accept_languages.best_match(supported) or "zh"


def register_extensions(app: Flask) -> None:
    from app.core import models as core_models  # noqa: F401 -- the shared tables (the audit log)
    from app.core.tasks import init_celery

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(app.config.get("MIGRATIONS_DIR", "migrations")), render_as_batch=True
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, default_translation_directories="translations")
    bootstrap.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sa.event.listen(db.engine, "connect", _sqlite_pragmas)
            sa.event.listen(db.engine, "begin", _sqlite_begin)
    init_celery(app)


def register_url_converters(app: Flask) -> None:
    from app.core.urls import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any route is added: rules bind it then


#: The domains, in the order they are wired. Each package's ``init_app(app)`` registers everything
#: it contributes — models, blueprints, signal receivers, home panels, health checks, search
#: adapters, media viewer checks, CLI groups and beat entries — and importing a module registers
#: nothing (tests/core/test_wiring.py holds both to that).
DOMAINS = (
    "app.portal",
    "app.accounts",
    "app.org",
    "app.kb",
    "app.qa",
    "app.quiz",
    "app.records",
    "app.branchlife",
    "app.voice",
    "app.care",
    "app.works",
    "app.membership",
    "app.assessment",
    "app.api",
    "media_pipeline",
    "courses",
    "search_index",
)


def register_domains(app: Flask) -> None:
    for name in DOMAINS:
        importlib.import_module(name).init_app(app)


def register_static(app: Flask) -> None:
    from app.core import static

    static.register(app)


def register_errorhandlers(app: Flask) -> None:
    from app.core.errors import register

    register(app)


def register_request_guards(app: Flask) -> None:
    from app.core import guards, headers

    guards.register(app)
    headers.register(app)


def register_template_helpers(app: Flask) -> None:
    from app.core.templating import register

    register(app)


def register_cli(app: Flask) -> None:
    from app.core.backup import backup_command, restore_command
    from app.demo import seed_demo_command  # the demo spans every domain: it is the shell's

    app.cli.add_command(seed_demo_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
