"""Background work of organisation life: thin wrappers that call services."""

from app.branchlife import services
from app.extensions import celery, db


@celery.task(name="branchlife.remind_tomorrow", ignore_result=True)
def remind_tomorrow_task() -> int:
    """Periodic: remind the attendees of tomorrow's meetings (once per meeting)."""
    count = services.remind_tomorrow()
    db.session.commit()
    return count
