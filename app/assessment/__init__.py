"""党建考核, 党务统计 and 红色地图.

Subpackages, each with its own rooms and ``init_app``: ``statistics`` (member structure, changes and
trends of a coordinator's subtree, from SQL aggregations and summary tables refreshed by beat) and
``atlas`` (branches and places on the red map).
"""


def init_app(app) -> None:
    from app.assessment import atlas, statistics

    statistics.init_app(app)
    atlas.init_app(app)
