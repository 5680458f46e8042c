"""Periodic reminders and the delayed writing of anonymous answers: thin wrappers around the
services, each idempotent."""

from app.core.clock import utcnow
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


@celery.task(name="voice.deliver_anonymous_answer", acks_late=True)
def deliver_anonymous_answer(pending_id: str) -> bool:
    """Queued with a random countdown after the marker's commit (see ``answering.submit_response``)."""
    written = answering.deliver_pending_answer(pending_id)
    db.session.commit()
    return written


@celery.task(name="voice.sweep_anonymous_answers")
def sweep_anonymous_answers() -> int:
    """Deliver pending anonymous answers whose delay has passed and whose task never ran."""
    delivered = answering.sweep_pending_answers(utcnow())
    db.session.commit()
    return delivered


@celery.task(name="voice.store_anonymous_response", acks_late=True)
def store_anonymous_response(survey_id: int, response_id: str, answers: dict) -> bool:
    """The earlier form of :func:`deliver_anonymous_answer`, kept for messages queued before it."""
    written = answering.store_anonymous_answers(survey_id, response_id, answers)
    db.session.commit()
    return written
