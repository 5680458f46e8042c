"""红色地图: finding branches and places by position, what a branch's card shows, and the upkeep of
places (admins). Positions are WGS-84 degrees; every search is a range or an ORDER BY in SQL."""

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts.models import BranchPosition, User
from app.assessment.atlas.models import Place, PlaceKind
from app.branchlife.services import upcoming_open_meetings
from app.core import audit
from app.core.clock import utcnow
from app.core.errors import DomainError
from app.extensions import db
from app.org.models import Branch
from app.org.services import BranchError, check_position

#: The most points one bounding box answers with (the map asks again when zoomed in).
MAX_POINTS = 500
#: Branches listed as "nearby" under the member's own.
NEARBY = 10


class AtlasError(DomainError):
    """A refusal on the map's data, with its message in Chinese."""


# --- positions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BBox:
    west: Decimal
    south: Decimal
    east: Decimal
    north: Decimal

    def contains(self, latitude, longitude):
        """The SQL condition on a pair of coordinate columns."""
        return sa.and_(
            latitude.between(self.south, self.north),
            longitude.between(self.west, self.east),
        )


#: A coordinate as a map sends it: ASCII digits, an optional sign and decimals (no exponent, NaN,
#: Infinity or full-width digits, which ``Decimal`` would accept).
DEGREES_RE = re.compile(r"-?\d{1,3}(\.\d{1,15})?", re.ASCII)


def _degrees(text: str) -> Decimal:
    text = text.strip()
    if not DEGREES_RE.fullmatch(text):
        raise InvalidOperation
    return Decimal(text)


def parse_bbox(text: str | None) -> BBox:
    """``west,south,east,north`` in degrees (Leaflet's ``toBBoxString``); anything else is refused."""
    if not text:
        raise AtlasError(_("请提供范围参数 bbox=西经度,南纬度,东经度,北纬度"), field="bbox")
    parts = text.split(",")
    try:
        if len(parts) != 4:
            raise InvalidOperation
        west, south, east, north = (_degrees(p) for p in parts)
    except InvalidOperation:
        raise AtlasError(
            _("bbox 须为四个用逗号分隔的数：西经度,南纬度,东经度,北纬度"), field="bbox"
        ) from None
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise AtlasError(_("bbox 超出范围：经度须在 -180 到 180 之间，纬度须在 -90 到 90 之间"), field="bbox")
    if west >= east or south >= north:
        raise AtlasError(_("bbox 的西经度须小于东经度，南纬度须小于北纬度"), field="bbox")
    return BBox(west, south, east, north)


def distance_km(lat1, lng1, lat2, lng2) -> float:
    """Great-circle distance (haversine), for the list's "x km away"."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lng2) - float(lng1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


# --- finding ------------------------------------------------------------------------------------


def branches_in(bbox: BBox, limit: int = MAX_POINTS) -> list[Branch]:
    return list(
        db.session.scalars(
            sa.select(Branch)
            .where(bbox.contains(Branch.latitude, Branch.longitude))
            .order_by(Branch.path)
            .limit(limit)
        )
    )


def places_in(bbox: BBox, limit: int = MAX_POINTS) -> list[Place]:
    return list(
        db.session.scalars(
            sa.select(Place)
            .where(bbox.contains(Place.latitude, Place.longitude))
            .order_by(Place.id)
            .limit(limit)
        )
    )


def nearby_branches(origin: Branch, limit: int = NEARBY) -> list[Branch]:
    """Located branches nearest ``origin`` (itself excluded), nearest first.

    Ordered by the squared distance on a plane whose longitude is scaled by cos(latitude): exact
    enough for ranking within a city or province, and plain arithmetic any database sorts by."""
    if not origin.has_location:
        return []
    scale = Decimal(str(round(math.cos(math.radians(float(origin.latitude))), 6)))
    d_lat = Branch.latitude - origin.latitude
    d_lng = (Branch.longitude - origin.longitude) * scale
    return list(
        db.session.scalars(
            sa.select(Branch)
            .where(Branch.latitude.is_not(None), Branch.longitude.is_not(None), Branch.id != origin.id)
            .order_by(d_lat * d_lat + d_lng * d_lng, Branch.id)
            .limit(limit)
        )
    )


def all_places() -> list[Place]:
    return list(db.session.scalars(sa.select(Place).order_by(Place.kind, Place.name)))


@dataclass
class BranchCard:
    branch: Branch
    #: 书记 and 副书记 of the branch, by name (their numbers stay private; the branch's line is public).
    contacts: list[User]
    meetings: list
    distance_km: float | None = None


def branch_cards(branches: list[Branch], origin: Branch | None = None) -> list[BranchCard]:
    """What the map and the list show of each branch: two queries for all of them."""
    ids = [b.id for b in branches]
    contacts: dict[int, list[User]] = {i: [] for i in ids}
    if ids:
        for user in db.session.scalars(
            sa.select(User)
            .where(
                User.branch_id.in_(ids),
                User.is_active_account.is_(True),
                User.position.in_([BranchPosition.SECRETARY, BranchPosition.DEPUTY_SECRETARY]),
            )
            .order_by(User.position.desc(), User.id)
        ):
            contacts[user.branch_id].append(user)
    meetings = upcoming_open_meetings(ids, utcnow())
    cards = []
    for b in branches:
        distance = None
        if origin is not None and origin.has_location and b.has_location:
            distance = round(distance_km(origin.latitude, origin.longitude, b.latitude, b.longitude), 1)
        cards.append(BranchCard(b, contacts[b.id], meetings.get(b.id, []), distance))
    return cards


def point_json(item: Branch | Place) -> dict:
    """A branch or a place as the map draws it (``type`` tells them apart)."""
    is_place = isinstance(item, Place)
    return {
        "type": "place" if is_place else "branch",
        "id": item.id,
        "kind": item.kind.value,
        "kind_label": str(item.kind_label),
        "name": item.name,
        "address": item.address,
        "lat": float(item.latitude),
        "lng": float(item.longitude),
        "contact": item.contact if is_place else item.contact_phone,
        **({"description": item.description} if is_place else {}),
    }


# --- places (admins) ----------------------------------------------------------------------------


@dataclass
class PlaceData:
    name: str
    kind: str
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    description: str = ""
    contact: str = ""


def _apply(place: Place, data: PlaceData) -> None:
    name = (data.name or "").strip()
    if not name:
        raise AtlasError(_("请填写名称"), field="name")
    if data.kind not in {k.value for k in PlaceKind}:
        raise AtlasError(_("请选择地点类型"), field="kind")
    place.name, place.kind = name[:100], PlaceKind(data.kind)
    try:
        place.latitude, place.longitude = check_position(data.latitude, data.longitude)
    except BranchError as exc:
        raise AtlasError(exc.message, field=exc.field) from None
    place.address = (data.address or "").strip()[:200]
    place.description = (data.description or "").strip()[:4000]
    place.contact = (data.contact or "").strip()[:100]


def create_place(actor: User, data: PlaceData) -> Place:
    place = Place(created_by_id=actor.id)
    _apply(place, data)
    db.session.add(place)
    db.session.flush()
    audit.record(actor, "map.place.create", place, f"添加地图地点 {place.name}")
    return place


def update_place(actor: User, place: Place, data: PlaceData) -> Place:
    _apply(place, data)
    db.session.flush()
    audit.record(actor, "map.place.update", place, f"修改地图地点 {place.name}")
    return place


def delete_place(actor: User, place: Place) -> None:
    audit.record(actor, "map.place.delete", place, f"删除地图地点 {place.name}")
    db.session.delete(place)
    db.session.flush()
