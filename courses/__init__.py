"""Courses: catalog, chapters and lessons, enrolment, assignments, flipped classes, the lesson player."""


def init_app(app) -> None:
    from celery.schedules import crontab

    from app.core.tasks import schedule
    from courses import models, search, services, tasks, views  # noqa: F401 -- the tables and tasks
    from courses.views import panels

    app.register_blueprint(views.bp)
    services.connect()  # media and records signals, newcomers to assignments, the media viewer check
    panels.register()
    search.register_search()
    # Every daytime hour (Asia/Shanghai): the first run of a day reminds, the others find nothing new
    # (one reminder per member, assignment and day), and a missed run catches up.
    schedule(app, "courses-due-reminders", "courses.send_due_reminders", crontab(minute=0, hour="9-20"))
