"""``GET /api/v1/map/places?bbox=west,south,east,north``: branches and places of the red map in a box."""

from flask import request

from app.api import bp, ok
from app.assessment.atlas import services


@bp.get("/map/places")
def map_places():
    bbox = services.parse_bbox(request.args.get("bbox"))
    branches, places = services.branches_in(bbox), services.places_in(bbox)
    return ok(
        {
            "bbox": [float(bbox.west), float(bbox.south), float(bbox.east), float(bbox.north)],
            "branches": [services.point_json(b) for b in branches],
            "places": [services.point_json(p) for p in places],
            "truncated": max(len(branches), len(places)) >= services.MAX_POINTS,
        }
    )
