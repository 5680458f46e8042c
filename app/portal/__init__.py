"""Home pages by role, news and notices, notifications; and the admin's audit log."""


def init_app(app) -> None:
    from celery.schedules import crontab

    from app.core.signals import news_requested
    from app.core.tasks import schedule
    from app.portal import health, home, models, notifications, probes, search, services, tasks  # noqa: F401 -- tables, tasks
    from app.portal.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(probes.bp)
    probes.register_builtin_checks()
    home.register_portal_panels()
    health.register_builtin_checks()
    search.register_search()
    notifications.init_app(app)  # the notification receiver and the site's delivery channels
    # News items other domains ask for (an interview's transcript): written by the portal only.
    news_requested.connect(services.on_news_requested)
    # Proof of life for the admin's health panel (on the default queue, like most work).
    schedule(app, "portal-heartbeat", "portal.heartbeat", float(app.config["PORTAL_HEARTBEAT_SECONDS"]))
    schedule(app, "portal-purge-read-notifications", "portal.purge_read_notifications", 24 * 3600.0)
    # Every night (Asia/Shanghai): the hash chains of the 学时 and points ledgers; failures alert admins.
    schedule(app, "portal-verify-ledgers", "portal.verify_ledgers", crontab(minute=30, hour=3))
