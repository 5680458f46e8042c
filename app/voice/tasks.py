"""Periodic reminders: thin wrappers around the services, each idempotent."""

from app.extensions import celery, db
from app.voice import suggestions, surveys


@celery.task(name="voice.remind_closing_surveys")
def remind_closing_surveys() -> int:
    sent = surveys.remind_closing_surveys()
    db.session.commit()
    return sent


@celery.task(name="voice.remind_waiting_suggestions")
def remind_waiting_suggestions() -> int:
    sent = suggestions.remind_waiting_suggestions()
    db.session.commit()
    return sent
