"""Summary tables: the member structure counted per branch, refreshed by beat."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.types import UTCDateTime
from app.extensions import db


class StructureCount(db.Model):
    """Members directly in one branch falling in one bucket of one dimension (age band, gender ...).

    A subtree's structure is the sum over its branches: one indexed range join, whatever its size."""

    __tablename__ = "stats_structure_count"

    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id", ondelete="CASCADE"), primary_key=True)
    #: One of :data:`app.assessment.statistics.buckets.DIMENSIONS`.
    dimension: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    #: The bucket's key (an enum value, a band's key, or ``none`` for not filled in).
    bucket: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    members: Mapped[int]


class SummaryRefresh(db.Model):
    """When a summary was last recounted; its row is also the refresh's lock."""

    __tablename__ = "stats_summary_refresh"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
