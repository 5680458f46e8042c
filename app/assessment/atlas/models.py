"""红色地图: places beside the branches (whose address and coordinates are on :class:`Branch`)."""

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.types import UTCDateTime, enum_column
from app.extensions import db


# An enum and its labels, alike in shape to the other domains' (each one column's own values).
class PlaceKind(enum.StrEnum):
    ACTIVITY_ROOM = "activity_room"
    EDUCATION_BASE = "education_base"


PLACE_KIND_LABELS = {
    PlaceKind.ACTIVITY_ROOM: _l("党员活动室"),
    PlaceKind.EDUCATION_BASE: _l("红色教育基地"),
}


class Place(db.Model):
    """A 党员活动室 or 红色教育基地 on the map, added by an admin."""

    __tablename__ = "map_place"
    __table_args__ = (sa.Index("ix_map_place_lat_lng", "latitude", "longitude"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[PlaceKind] = mapped_column(enum_column(PlaceKind, "map_place_kind", 24))
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    #: WGS-84 degrees.
    latitude: Mapped[Decimal] = mapped_column(sa.Numeric(9, 6))
    longitude: Mapped[Decimal] = mapped_column(sa.Numeric(9, 6))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: Who to call or write to (a name and a number), shown as written.
    contact: Mapped[str] = mapped_column(sa.String(100), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def kind_label(self) -> str:
        return PLACE_KIND_LABELS[self.kind]
