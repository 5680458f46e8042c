"""Background work of the statistics: the beat refresh of the summary tables (a thin wrapper)."""

from app.assessment.statistics import services
from app.core.clock import localtoday
from app.extensions import celery, db


@celery.task(name="statistics.refresh_structure", ignore_result=True)
def refresh_structure_task() -> bool:
    """Periodic: recount the member structure; a run that finds another running does nothing."""
    done = services.refresh_structure(localtoday())
    db.session.commit()
    return done
