"""Accounts: users, roles, login and throttling, passwords, API tokens, bulk member import."""


def init_app(app) -> None:
    from app.accounts import models, passwords, tasks  # noqa: F401 -- the tables and the tasks
    from app.accounts.cli import users_cli
    from app.accounts.views import bp, load_user
    from app.accounts.views.auth import care_mode_on
    from app.core.tasks import schedule
    from app.extensions import login_manager

    passwords.init_app(app)
    login_manager.user_loader(load_user)
    app.register_blueprint(bp)
    app.add_template_global(care_mode_on, "care_mode")
    app.cli.add_command(users_cli)
    schedule(app, "purge-login-failures", "accounts.purge_login_failures", 3600.0)
    schedule(app, "sweep-stale-jobs", "accounts.sweep_stale_jobs", 60.0)
