"""Background work of the membership domain: thin wrappers around services."""

from app.extensions import celery, db
from app.membership.services.reminders import send_reminders


@celery.task(name="membership.send_reminders")
def send_reminders_task() -> int:
    sent = send_reminders()
    db.session.commit()
    return sent
