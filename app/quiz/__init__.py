"""Question bank, quizzes and exams, contests (daily, challenge, timed, duel) and points (积分).

Modules: ``models``; ``bank`` (questions), ``importers`` (XLSX/GIFT/Aiken), ``grading`` (what an
answer means and what may be shown), ``play`` (the shared attempt engine), ``quizzes`` (lesson
quizzes and exams), ``contests`` (daily quiz, challenge, timed contests), ``duels``, ``points``
(the ledger, caps, leaderboards); ``views``, ``forms``, ``cli``, ``tasks``.
"""
