"""Background work of the courses domain: thin wrappers that take ids (or nothing) and call services."""

from app.extensions import celery, db
from courses.reminders import send_due_reminders


@celery.task(name="courses.send_due_reminders")
def send_due_reminders_task() -> dict:
    """Daily (Celery beat): remind members of assignments due soon or overdue. Idempotent per day."""
    result = send_due_reminders()
    db.session.commit()
    return result
