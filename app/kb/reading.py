"""Reading a knowledge-base article, measured by the server the way article lessons are.

The article page sends the lesson player's heartbeats (``session_id``, ``seq``, ``position``,
``rate``, ``visible``, ``event``; see :func:`app.records.services.parse_heartbeat`). Only the
server's clock counts: the stretch between two heartbeats of the same page view counts as visible
reading when the page was visible at the first of them, and for one heartbeat interval (plus the
tolerance) at most, however long the silence and whatever ``position`` claims. A repeated or
older ``seq`` changes nothing; a heartbeat of another page view (another tab, a reload) takes
over and the gap before it counts nothing. One page at a time across articles too: a heartbeat of
a page being read (visible, not paused) stops every other article's page view of the member, whose
next heartbeat must take over in turn, so articles open side by side count no faster than one read
after another (two windows read at once both count nothing, and are told so). Only a page being
read takes over: a tab opened in the background, or the "hidden" of the tab just left, changes
nothing. Once the member has reached the end and has had the page visibly open for
``POINTS_READ_SECONDS``, the reading counts, once: ``article_read`` is sent and
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
    User.hold(user.id)
    reading = _locked_reading(user.id, article.id, hb.session_id)
    reading_now = hb.visible and hb.event not in STOPPING_EVENTS
    active = True
    if reading.session_key != hb.session_id:
        if not reading_now:
            # A page view that is not the current one and is not being read (a tab opened in the
            # background, the "hidden" of the tab just left): it takes nothing over.
            return reading_json(reading, policy, active=False)
        # Another page view takes over; nothing before its first heartbeat counts. A running page
        # (a tick, not its first heartbeat nor a return to the tab) that has to take over is being
        # read at the same time as another: it is told so.
        reading.session_key, reading.last_seq, reading.last_seen_at = hb.session_id, -1, None
        reading.was_visible = False
        active = hb.event != "tick"
    elif hb.seq <= reading.last_seq:
        return reading_json(reading, policy)  # a replay or an old heartbeat: nothing changes
    if reading_now:
        _stop_other_pages(user.id, article.id)
    if reading.last_seen_at is not None and reading.was_visible:
        wall = max(0.0, (now - reading.last_seen_at).total_seconds())
        reading.visible_seconds += min(wall, policy.interval + policy.tolerance)
    reading.last_seq, reading.last_seen_at = hb.seq, now
    reading.was_visible = reading_now
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
    return reading_json(reading, policy, active)


def reading_json(reading: ArticleReading, policy: ReadingPolicy, active: bool = True) -> dict:
    """The reading's state; ``active`` is false when another page view is being read instead of, or
    at the same time as, this one (the page says so: one article's reading is counted at a time)."""
    return {
        "active": active,
        "visible_seconds": round(reading.visible_seconds, 1),
        "required_seconds": policy.required_seconds,
        "reached_end": reading.reached_end,
        "read": reading.read_at is not None,
        "read_at": reading.read_at.isoformat() if isinstance(reading.read_at, datetime) else None,
    }
