"""Points for learning: what other domains verified, turned into awards (connected by
:func:`connect` from the quiz domain's ``init_app``).

The senders decide what happened with the server's own evidence (records' credited media time and
completions, the knowledge base's server-measured reading time, a password sign-in, a published
comment); this module only decides how many points it is worth, against the daily caps in
``POINTS_DAILY_CAPS``. Every award goes through :func:`app.quiz.points.award_points`, once per
``(member, action, ref)``: a repeated or concurrent signal earns once.
"""

import sqlalchemy as sa
from flask import current_app

from app.core import clock
from app.core.signals import (
    article_read,
    content_published,
    course_completed,
    lesson_completed,
    media_time_credited,
    member_signed_in,
)
from app.core.transactions import insert_or_skip
from app.extensions import db
from app.quiz.models import PointsDay
from app.quiz.points import award_points, local_day


def connect() -> None:
    article_read.connect(on_article_read)
    media_time_credited.connect(on_media_time_credited)
    lesson_completed.connect(on_lesson_completed)
    course_completed.connect(on_course_completed)
    member_signed_in.connect(on_member_signed_in)
    content_published.connect(on_content_published)


def on_article_read(sender, user_id: int, ref: str, visible_seconds: float, title: str = "", **_extra):
    """1 point per article read: on screen long enough by the server's clock, and read to the end."""
    if visible_seconds + 1e-6 < current_app.config["POINTS_READ_SECONDS"]:
        return
    award_points(user_id, "article", ref, 1, f"阅读文章《{title[:60]}》" if title else "阅读文章")


def on_media_time_credited(sender, user_id: int, lesson_id: int, seconds: float, **_extra):
    """1 point per ``POINTS_MEDIA_SECONDS`` of credited video or audio time, counted per day: the
    seconds are carried on the day's ``media`` counter (one UPDATE per heartbeat, which also locks
    the row, so concurrent heartbeats add up exactly), and each block completed is one award
    (``media:<day>:<n>``, once)."""
    whole = int(seconds)
    if whole <= 0:
        return
    block = current_app.config["POINTS_MEDIA_SECONDS"]
    day = local_day(clock.utcnow())
    carry = _add_media_seconds(user_id, day, whole)
    if carry is None:  # the day's first media time
        db.session.execute(
            insert_or_skip(PointsDay, ["user_id", "day", "action"]),
            [{"user_id": user_id, "day": day, "action": "media", "total": 0, "carry": 0}],
        )
        carry = _add_media_seconds(user_id, day, whole)
    for n in range((carry - whole) // block + 1, carry // block + 1):
        award_points(user_id, "media", f"media:{day.isoformat()}:{n}", 1, f"视听学习满 {block // 60} 分钟")


def _add_media_seconds(user_id: int, day, seconds: int) -> int | None:
    table = PointsDay.__table__
    return db.session.execute(
        sa.update(table)
        .where(table.c.user_id == user_id, table.c.day == day, table.c.action == "media")
        .values(carry=table.c.carry + seconds)
        .returning(table.c.carry)
    ).scalar_one_or_none()


def on_lesson_completed(sender, user_id: int, lesson_id: int, **_extra):
    award_points(
        user_id, "lesson", f"lesson:{lesson_id}", current_app.config["POINTS_LESSON"], "完成课时学习"
    )


def on_course_completed(sender, user_id: int, course_id: int, **_extra):
    award_points(user_id, "course", f"course:{course_id}", current_app.config["POINTS_COURSE"], "学完课程")


def on_member_signed_in(sender, user_id: int, **_extra):
    """The first sign-in of the (local) day."""
    day = local_day(clock.utcnow())
    award_points(user_id, "login", f"login:{day.isoformat()}", 1, "每日登录")


def on_content_published(sender, user_id: int, kind: str, target: str, item_id: int | None = None, **_extra):
    """1 point per thing commented on or answered (not per comment): a comment removed and posted
    again, or ten comments under one lesson, earn what the first one did."""
    award_points(user_id, "comment", f"{kind}:{target}", 1, "发表评论或回答")
