"""Recording who did what; every service that changes state calls :func:`record`."""

import logging

from app.core.models import AuditEntry
from app.extensions import db

logger = logging.getLogger("hongke.audit")


def record(actor, action: str, target, summary: str = "", details: dict | None = None) -> AuditEntry:
    """Add an audit entry for ``actor`` doing ``action`` to ``target`` (flushed with the caller's work)."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=target.__tablename__,
        target_id=target.id,
        summary=summary[:500],
        details=details,
    )
    db.session.add(entry)
    logger.info("%s did %s on %s %s", actor or "system", action, entry.target_type, entry.target_id)
    return entry
