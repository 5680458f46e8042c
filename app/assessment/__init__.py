"""党建考核 (branch assessment): schemes of indicators, computed from what the platform already knows
or scored by coordinators with evidence; scores per 党支部 rolled up the tree; reviewed, adjusted,
frozen with their inputs and published.

Modules: ``models``; ``indicators`` (the computed kinds: formula text and the owning domain's
per-branch figures); ``services`` (schemes, scoring, manual scores and adjustments); ``views`` and
``exports`` (pages, XLSX); ``demo``. The API resource is :mod:`app.api.assessments`. Statistics
(党务统计) and the red map (红色地图) live in the ``statistics`` and ``atlas`` subpackages.
"""


def init_app(app) -> None:
    from app.assessment import models, views  # noqa: F401 -- tables

    app.register_blueprint(views.bp)
