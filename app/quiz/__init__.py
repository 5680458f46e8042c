"""Question bank, quizzes and exams, contests (daily, challenge, timed, duel) and points (积分).

Modules: ``models``; ``bank`` (questions), ``importers`` (XLSX/GIFT/Aiken; ``gift`` the GIFT
syntax, ``exports`` the template and export), ``grading`` (what an answer means and what may be
shown), ``play`` (the shared attempt engine), ``quizzes`` (lesson quizzes and exams), ``contests``
(daily quiz, challenge, timed contests), ``duels``, ``points`` (the ledger, caps, leaderboards),
``points_chain`` (its hash chain and verification), ``earning`` (points for other domains' facts);
``views`` (a package, one module per area), ``forms``, ``cli``, ``tasks``.
"""


def init_app(app) -> None:
    from app.core.backup import register_integrity_check
    from app.core.tasks import schedule
    from app.quiz import earning, models, tasks, views  # noqa: F401 -- the tables and the tasks
    from app.quiz.cli import points_cli, quiz_cli
    from app.quiz.views import panels

    app.register_blueprint(views.bp)
    panels.register()
    app.cli.add_command(quiz_cli)
    app.cli.add_command(points_cli)
    earning.connect()  # points for what other domains verified (reading, media, lessons, sign-ins)
    register_integrity_check("points", points_problems)
    # Duel rooms nobody polls any more still end; abandoned daily quizzes and contests get graded.
    schedule(app, "quiz-sweep", "quiz.sweep", 30.0)


def points_problems():
    """The points ledger's verification, one line per problem (after a restore, and nightly)."""
    from app.quiz.points_chain import verify_points

    for problem in verify_points():
        yield f"#{problem.entry_id or '-'} ({problem.user_id}): {problem.message}"
