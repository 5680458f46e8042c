"""Organisation life (组织生活): 三会一课, 主题党日, 组织生活会 and 民主评议, planned, noticed, checked in,
minuted and finalised. Records only credits hours when this domain tells it to (ledger source
``meeting:<id>``).

Modules: ``models``; ``kinds`` (kinds and their rules, from settings); ``services`` (access,
planning, attendance, closing); ``views`` (pages), ``api`` (the /api/v1 resources), ``panels``
(home page), ``tasks`` (the reminder the day before), ``demo``; ``reviews/`` (民主评议党员: rounds,
secret ballots, grades).
"""


def init_app(app) -> None:
    from app.branchlife import api, models, panels, reviews, tasks, views  # noqa: F401 -- tables, tasks
    from app.core.tasks import schedule

    app.register_blueprint(views.bp)
    app.register_blueprint(api.make_blueprint())
    panels.register_panels()
    reviews.init_app(app)
    # Attendees are reminded the day before; hourly, so a meeting planned late still gets its reminder.
    schedule(app, "branchlife-remind", "branchlife.remind_tomorrow", 3600.0)
