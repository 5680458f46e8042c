"""Signals from other domains that records acts on."""

import logging

import sqlalchemy as sa

from app.core.signals import lesson_deleted, quiz_passed
from app.extensions import db
from app.records.models import LessonProgress, PlaybackSession
from app.records.services.accounting import note_quiz_passed

logger = logging.getLogger(__name__)


def connect() -> None:
    quiz_passed.connect(_on_quiz_passed)
    lesson_deleted.connect(_on_lesson_deleted)


def _on_quiz_passed(sender, user_id: int, quiz_id: int, attempt_id: int | None = None, score=None, **extra):
    note_quiz_passed(user_id, quiz_id, attempt_id, score)


def _on_lesson_deleted(sender, lesson_id: int, course_id: int | None = None, **extra):
    forget_lesson(lesson_id)


def forget_lesson(lesson_id: int) -> None:
    """Delete every member's progress and playback sessions of a deleted lesson, which nobody can
    open again. The hours ledger is not touched: hours credited for the lesson stay earned."""
    progress = db.session.execute(sa.delete(LessonProgress).where(LessonProgress.lesson_id == lesson_id))
    sessions = db.session.execute(sa.delete(PlaybackSession).where(PlaybackSession.lesson_id == lesson_id))
    logger.info(
        "lesson %s deleted: %s progress rows and %s playback sessions dropped",
        lesson_id,
        progress.rowcount,
        sessions.rowcount,
    )
