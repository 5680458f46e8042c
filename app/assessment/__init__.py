"""党建考核 (branch assessment): schemes of indicators, computed from what the platform already knows
or scored by coordinators with evidence; scores per 党支部 rolled up the tree; reviewed, adjusted,
frozen with their inputs and published.

Modules: ``models``; ``indicators`` (the computed kinds: formula text and the owning domain's
per-branch figures); ``services`` (schemes, scoring, manual scores and adjustments); ``views`` and
``exports`` (pages, XLSX); ``demo``. The API resources are :mod:`app.api.assessments`,
:mod:`app.api.stats` and :mod:`app.api.map`.

Subpackages, each with its own rooms and ``init_app``: ``statistics`` (党务统计: member structure,
changes and trends of a coordinator's subtree, from SQL aggregations and summary tables refreshed by
beat) and ``atlas`` (红色地图: branches and places on the map).
"""


def init_app(app) -> None:
    from app.assessment import atlas, models, statistics, views  # noqa: F401 -- tables

    app.register_blueprint(views.bp)
    statistics.init_app(app)
    atlas.init_app(app)
