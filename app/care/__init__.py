"""困难帮扶 (hardship assistance): confidential cases, their review, assistance records, documents,
follow-up reminders and a yearly summary without personal details.

Deliberately no search adapter: a case is never a search document, so no search can reveal one.
"""


def init_app(app) -> None:
    from app.care import models, tasks  # noqa: F401 -- the tables and the tasks
    from app.care.views import bp
    from app.core.tasks import schedule

    app.register_blueprint(bp)
    schedule(app, "care-follow-ups", "care.remind_follow_ups", 3600.0)
