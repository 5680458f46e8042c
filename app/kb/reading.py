"""Reading a knowledge-base article, measured by the server the way article lessons are.

The article page sends the lesson player's heartbeats (``session_id``, ``seq``, ``position``,
``rate``, ``visible``, ``event``; see :func:`app.records.services.parse_heartbeat`). Only the
server's clock counts: the stretch between two heartbeats of the same page view counts as visible
reading when the page was visible at the first of them, and for one heartbeat interval (plus the
tolerance) at most, however long the silence and whatever ``position`` claims. A repeated or
older ``seq`` changes nothing; a heartbeat of another page view (another tab, a reload) takes
over and the gap before it counts nothing. One page at a time across articles too, as for lessons: a
page view that starts or takes over stops every other article's page view of the member, whose next
heartbeat must take over in turn, so articles open side by side in tabs count no faster than one
read after another. Once the member has reached the end and has had the page
visibly open for ``POINTS_READ_SECONDS``, the reading counts, once: ``article_read`` is sent and
the points domain awards it.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts.models import User
from app.core.clock import utcnow
from app.core.signals import article_read
from app.core.transactions import insert_or_skip
from app.extensions import db
from app.kb import services
from app.kb.models import ArticleReading
from app.kb.services import KbError
from app.records.services import Heartbeat

#: Events after which the reader is not reading until the next heartbeat says so.
STOPPING_EVENTS = frozenset({"pause", "hidden"})


@dataclass(frozen=True)
class ReadingPolicy:
    interval: float
    tolerance: float
    required_seconds: float

    @classmethod
    def from_config(cls, config) -> "ReadingPolicy":
        return cls(
            float(config["HEARTBEAT_INTERVAL_SECONDS"]),
            float(config["HEARTBEAT_TOLERANCE_SECONDS"]),
            float(config["POINTS_READ_SECONDS"]),
        )


def _locked_reading(user_id: int, article_id: int, session_key: str) -> ArticleReading:
    db.session.execute(
        insert_or_skip(ArticleReading, ["user_id", "article_id"]),
        [
            {
                "user_id": user_id,
                "article_id": article_id,
                "session_key": session_key,
                "last_seq": -1,
                "was_visible": False,
                "visible_seconds": 0.0,
                "reached_end": False,
            }
        ],
    )
    return db.session.scalars(
        sa.select(ArticleReading)
        .where(ArticleReading.user_id == user_id, ArticleReading.article_id == article_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _stop_other_pages(user_id: int, article_id: int) -> None:
    """Last page view wins: the member's open views of other articles stop counting."""
    db.session.execute(
        sa.update(ArticleReading)
        .where(
            ArticleReading.user_id == user_id,
            ArticleReading.article_id != article_id,
            ArticleReading.read_at.is_(None),
            ArticleReading.session_key != "",
        )
        .values(session_key="", was_visible=False, last_seen_at=None)
        .execution_options(synchronize_session=False)
    )


def record_reading(user: User, article_id: int, hb: Heartbeat, policy: ReadingPolicy) -> dict:
    """Judge one heartbeat of the article page; the member's reading state. The caller commits."""
    article = services.get_article_for(article_id, user)
    if not article.is_live:
        raise KbError(_("文章尚未发布，阅读不计入学习"), 409)
    now = utcnow()
    # A member's reading heartbeats queue on the member (always first, so a page view that stops
    # another article's never waits in a circle with it).
    db.session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    reading = _locked_reading(user.id, article.id, hb.session_id)
    new_view = reading.session_key != hb.session_id or reading.last_seen_at is None
    if reading.session_key != hb.session_id:
        # Another page view takes over; nothing before its first heartbeat counts.
        reading.session_key, reading.last_seq, reading.last_seen_at = hb.session_id, -1, None
        reading.was_visible = False
    elif hb.seq <= reading.last_seq:
        return reading_json(reading, policy)  # a replay or an old heartbeat: nothing changes
    if new_view:
        _stop_other_pages(user.id, article.id)
    if reading.last_seen_at is not None and reading.was_visible:
        wall = max(0.0, (now - reading.last_seen_at).total_seconds())
        reading.visible_seconds += min(wall, policy.interval + policy.tolerance)
    reading.last_seq, reading.last_seen_at = hb.seq, now
    reading.was_visible = hb.visible and hb.event not in STOPPING_EVENTS
    if hb.event == "ended":
        reading.reached_end = True
    if (
        reading.read_at is None
        and reading.reached_end
        and reading.visible_seconds + 1e-6 >= policy.required_seconds
    ):
        reading.read_at = now
        db.session.flush()
        article_read.send(
            "kb",
            user_id=user.id,
            ref=f"kb:{article.id}",
            visible_seconds=reading.visible_seconds,
            title=article.live.title if article.live else article.title,
        )
    db.session.flush()
    return reading_json(reading, policy)


def reading_json(reading: ArticleReading, policy: ReadingPolicy) -> dict:
    return {
        "visible_seconds": round(reading.visible_seconds, 1),
        "required_seconds": policy.required_seconds,
        "reached_end": reading.reached_end,
        "read": reading.read_at is not None,
        "read_at": reading.read_at.isoformat() if isinstance(reading.read_at, datetime) else None,
    }
