"""Periodic reminders and the delayed writing of anonymous answers: thin wrappers around the
services, each idempotent."""

from app.extensions import celery, db
from app.voice import answers as answering
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


@celery.task(name="voice.store_anonymous_response", acks_late=True)
def store_anonymous_response(survey_id: int, response_id: str, answers: dict) -> bool:
    """Queued with a random countdown before the marker's commit (see ``answering.submit_response``)."""
    written = answering.store_anonymous_answers(survey_id, response_id, answers)
    db.session.commit()
    return written
