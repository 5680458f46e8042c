"""党务统计: the member structure, month-by-month changes and learning and activity trends of a
coordinator's subtree (an admin's: everything), as charts with CSV and XLSX downloads.

Modules: ``models`` (the summary tables), ``buckets`` (bands as SQL CASE expressions), ``services``
(the aggregations and the summary refresh), ``charts`` (each chart's data and export), ``views``,
``tasks`` (the beat refresh). Every figure is a GROUP BY in SQL; no member is loaded into Python.
"""


def init_app(app) -> None:
    from app.assessment.statistics import models, tasks, views  # noqa: F401 -- tables, tasks
    from app.core.tasks import schedule

    app.register_blueprint(views.bp)
    # The member structure changes slowly and is read often: recounted every 15 minutes.
    schedule(app, "stats-refresh-structure", "statistics.refresh_structure", 900.0)
