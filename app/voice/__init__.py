"""Member voice (党员调查 surveys, 合理建议 suggestions).

Modules: ``models``; ``surveys`` and ``suggestions`` (the services); ``survey_views`` and
``suggestion_views`` (the pages); ``forms``; ``tasks`` (the reminders beat runs); ``search``.
Their API resources live with the others in :mod:`app.api` (``surveys``, ``suggestions``).
"""


def init_app(app) -> None:
    from app.core.tasks import schedule
    from app.voice import models, search, tasks  # noqa: F401 -- the tables and the tasks
    from app.voice.suggestion_views import bp as suggestions_bp
    from app.voice.survey_views import bp as surveys_bp

    app.register_blueprint(surveys_bp)
    app.register_blueprint(suggestions_bp)
    search.register_search()
    # Hourly: each reminder is sent at most once (a survey) or once a local day (a suggestion),
    # however often these run.
    schedule(app, "voice-survey-reminders", "voice.remind_closing_surveys", 3600.0)
    schedule(app, "voice-suggestion-reminders", "voice.remind_waiting_suggestions", 3600.0)
