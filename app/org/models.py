import enum
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import TimestampMixin
from app.extensions import db


# Enum + label dict alike in shape to quiz's QuizPurpose and accounts' enums, kept apart: one
# column's own values and Chinese labels.
class BranchKind(enum.StrEnum):
    COMMITTEE = "committee"
    GENERAL_BRANCH = "general_branch"
    BRANCH = "branch"


KIND_LABELS = {
    BranchKind.COMMITTEE: _l("党委"),
    BranchKind.GENERAL_BRANCH: _l("党总支"),
    BranchKind.BRANCH: _l("党支部"),
}

#: Materialised paths are compared byte-wise; PostgreSQL's locale collations would ignore the "/".
PATH_TYPE = sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql")


class Branch(TimestampMixin, db.Model):
    """A node of the organisation tree.

    ``path`` is the materialised path of ids, ``/1/4/9/``: everything under a node is the one
    indexed range query ``path >= '/1/4/' AND path < '/1/40'`` (see :meth:`subtree_filter`).
    """

    __tablename__ = "branch"
    __table_args__ = (
        sa.UniqueConstraint("parent_id", "name", name="uq_branch_parent_name"),
        sa.Index("ix_branch_lat_lng", "latitude", "longitude"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[BranchKind] = mapped_column(
        sa.Enum(
            BranchKind, name="branch_kind", native_enum=False, values_callable=lambda e: [m.value for m in e]
        )
    )
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branch.id", ondelete="RESTRICT"), index=True)
    #: Materialised path of ids from the root, with leading and trailing slashes.
    path: Mapped[str] = mapped_column(PATH_TYPE, unique=True, default="")
    depth: Mapped[int] = mapped_column(default=0)
    sort_order: Mapped[int] = mapped_column(default=0)
    #: Where the branch meets (红色地图): the street address people read and its WGS-84 coordinates.
    address: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    latitude: Mapped[Decimal | None] = mapped_column(sa.Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(sa.Numeric(9, 6))
    #: The branch's public contact number (an office line), shown on the map to every member.
    contact_phone: Mapped[str] = mapped_column(sa.String(32), default="", server_default="")

    parent: Mapped["Branch | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Branch"]] = relationship(
        back_populates="parent", order_by="Branch.sort_order, Branch.id"
    )

    def __repr__(self) -> str:
        return f"<Branch {self.id} {self.name}>"

    def __str__(self) -> str:
        return self.name

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def ancestor_ids(self) -> list[int]:
        return self.ids_in_path(self.path)

    @staticmethod
    def ids_in_path(path: str) -> list[int]:
        """The ids along a materialised path, root first: ``/1/4/9/`` → ``[1, 4, 9]``."""
        return [int(part) for part in path.strip("/").split("/") if part]

    def contains(self, other: "Branch") -> bool:
        """True if ``other`` is this branch or lies under it."""
        return other.path.startswith(self.path)

    @staticmethod
    def subtree_filter(path: str, column=None):
        """A SQL condition matching ``path`` and everything under it, usable on any path column."""
        column = Branch.path if column is None else column
        upper = path[:-1] + chr(ord("/") + 1)
        return sa.and_(column >= path, column < upper)
