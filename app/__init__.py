"""Hongke (红课): the Flask application factory."""

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

    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register_extensions(app)
    register_url_converters(app)
    register_blueprints(app)
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
    from app.accounts import passwords
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
    passwords.init_app(app)

    # Import the models so the metadata knows every table (Alembic autogenerate, relationships),
    # and each domain's search adapter (``*.search``: how its rows become search documents).
    import app.accounts.models
    import app.accounts.tasks
    import app.core.models
    import app.kb.models
    import app.kb.search
    import app.org.models
    import app.portal.models
    import app.portal.search
    import app.portal.tasks
    import app.qa.models
    import app.qa.search
    import app.quiz.models
    import app.quiz.tasks
    import app.records.models
    import app.records.receivers
    import courses.models
    import courses.search
    import courses.tasks  # noqa: F401
    import media_pipeline.models  # noqa: F401
    import search_index.tasks  # noqa: F401 -- the tables, adapters and tasks, as above


def register_url_converters(app: Flask) -> None:
    from app.core.urls import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any route is added: rules bind it then


def register_blueprints(app: Flask) -> None:
    from app.accounts.views import bp as accounts_bp
    from app.api import bp as api_bp
    from app.kb.views import bp as kb_bp
    from app.org.views import bp as org_bp
    from app.portal.views import bp as portal_bp
    from app.qa.views import bp as qa_bp
    from app.quiz.views import bp as quiz_bp
    from app.records.views import bp as records_bp
    from courses.views import bp as courses_bp
    from media_pipeline.views import bp as media_bp
    from search_index.views import bp as search_bp

    app.register_blueprint(portal_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(org_bp)
    app.register_blueprint(kb_bp)
    app.register_blueprint(qa_bp)
    app.register_blueprint(quiz_bp)
    app.register_blueprint(records_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(courses_bp)
    app.register_blueprint(search_bp)


def register_errorhandlers(app: Flask) -> None:
    from app.core.errors import register

    register(app)


def register_request_guards(app: Flask) -> None:
    from app.core.guards import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from app.core.templating import register

    register(app)


def register_cli(app: Flask) -> None:
    from app.accounts.cli import users_cli
    from app.demo import seed_demo_command
    from app.quiz.cli import quiz_cli
    from app.records.cli import records_cli
    from media_pipeline.cli import media_cli
    from search_index.cli import search_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(records_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(quiz_cli)
    app.cli.add_command(media_cli)
    app.cli.add_command(search_cli)
