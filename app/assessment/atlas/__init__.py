"""红色地图: branches (address, coordinates, contacts, upcoming open activities) and places (党员活动室,
红色教育基地) on a map served entirely by the platform, and in a list for phones.

Modules: ``models`` (places), ``services`` (finding, bbox, places' upkeep), ``forms``, ``views``.
Tiles come from ``MAP_TILE_URL`` when set; otherwise the map draws over ``static/atlas/base.json``,
shipped with the platform, so no request leaves it.
"""


def init_app(app) -> None:
    from app.assessment.atlas import models, views  # noqa: F401 -- tables

    app.register_blueprint(views.bp)
