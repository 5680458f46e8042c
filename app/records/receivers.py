"""Signals from other domains that records acts on."""

from app.core.signals import quiz_passed
from app.records import services


@quiz_passed.connect
def _on_quiz_passed(sender, user_id: int, quiz_id: int, attempt_id: int | None = None, score=None, **extra):
    services.note_quiz_passed(user_id, quiz_id, attempt_id, score)
