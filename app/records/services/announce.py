"""What a judged heartbeat tells other domains: media time the server credited, and an article
lesson read to its end with the time it was visibly open (the points domain listens)."""

from app.core.signals import article_read, media_time_credited
from app.records.models import LessonProgress, PlaybackSession

MEDIA_KINDS = frozenset({"video", "audio"})


def announce_progress(
    user_id: int,
    kind: str,
    title: str,
    session: PlaybackSession,
    progress: LessonProgress,
    covered_before: float,
) -> None:
    """Called once per judged heartbeat, inside its transaction."""
    if kind in MEDIA_KINDS:
        gained = progress.covered_seconds - covered_before
        if gained > 0:
            media_time_credited.send("records", user_id=user_id, lesson_id=progress.lesson_id, seconds=gained)
    elif kind == "article" and progress.reached_end:
        # The time on page by the server's clock: this session's budget (it grows only while the page
        # was visible, one interval at most per silence), or the coverage kept across sessions.
        visible = max(session.budget_seconds, progress.covered_seconds)
        article_read.send(
            "records",
            user_id=user_id,
            ref=f"lesson:{progress.lesson_id}",
            visible_seconds=visible,
            title=title,
        )
