"""Mixins and the audit log shared by every domain."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.types import UTCDateTime
from app.extensions import db


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AuditEntry(db.Model):
    """Who changed what, written by services; read by admins. Never updated or deleted."""

    __tablename__ = "audit_entry"
    __table_args__ = (sa.Index("ix_audit_entry_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: The acting user; ``None`` for the system (CLI without a user, periodic tasks).
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    #: A dotted verb such as ``user.create`` or ``branch.move``.
    action: Mapped[str] = mapped_column(sa.String(64))
    target_type: Mapped[str] = mapped_column(sa.String(32))
    target_id: Mapped[int | None]
    #: A short human-readable summary of what changed.
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    details: Mapped[dict | None] = mapped_column(sa.JSON)

    actor = db.relationship("User", lazy="joined")
