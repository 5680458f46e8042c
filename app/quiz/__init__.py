"""Question bank, quizzes and exams, contests (daily, challenge, timed, duel) and points (积分).

Modules: ``models``; ``bank`` (questions), ``importers`` (XLSX/GIFT/Aiken; ``gift`` the GIFT
syntax, ``exports`` the template and export), ``grading`` (what an answer means and what may be
shown), ``play`` (the shared attempt engine), ``quizzes`` (lesson quizzes and exams), ``contests``
(daily quiz, challenge, timed contests), ``duels``, ``points`` (the ledger, caps, leaderboards);
``views`` (a package, one module per area), ``forms``, ``cli``, ``tasks``.
"""


def init_app(app) -> None:
    from app.core.tasks import schedule
    from app.quiz import models, tasks, views  # noqa: F401 -- the tables and the tasks
    from app.quiz.cli import quiz_cli
    from app.quiz.views import panels

    app.register_blueprint(views.bp)
    panels.register()
    app.cli.add_command(quiz_cli)
    # Duel rooms nobody polls any more still end; abandoned daily quizzes and contests get graded.
    schedule(app, "quiz-sweep", "quiz.sweep", 30.0)
