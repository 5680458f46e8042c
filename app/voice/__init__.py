"""Member voice (党员调查 surveys, 合理建议 suggestions, 在线访谈 online interviews).

Modules: ``models``; the services ``surveys``, ``survey_results``, ``suggestions`` and
``interviews``; the pages ``survey_views``, ``suggestion_views`` and ``interview_views``; ``forms``;
``tasks`` (the reminders beat runs); ``search``; ``panels``; ``demo``. Their API resources live
with the others in :mod:`app.api` (``surveys``, ``suggestions``).
"""


def init_app(app) -> None:
    from app.core.tasks import schedule
    from app.voice import models, panels, search, tasks  # noqa: F401 -- the tables and the tasks
    from app.voice.interview_views import bp as interviews_bp
    from app.voice.suggestion_views import bp as suggestions_bp
    from app.voice.survey_views import bp as surveys_bp

    app.register_blueprint(surveys_bp)
    app.register_blueprint(suggestions_bp)
    app.register_blueprint(interviews_bp)
    search.register_search()
    panels.register_voice_panels()
    # Hourly: each reminder is sent at most once (a survey) or once a local day (a suggestion),
    # however often these run.
    schedule(app, "voice-survey-reminders", "voice.remind_closing_surveys", 3600.0)
    schedule(app, "voice-suggestion-reminders", "voice.remind_waiting_suggestions", 3600.0)
