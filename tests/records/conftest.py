from datetime import UTC, datetime
from decimal import Decimal
from itertools import count

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.records import presence
from app.records.models import PresenceChallenge
from app.records.services import AccountingPolicy, Heartbeat, LessonFacts, record_heartbeat
from tests.courses.conftest import make_asset, make_course, member, trainer  # noqa: F401 -- fixtures, found by name

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def clock_start():
    return START


@pytest.fixture
def policy(app):
    return AccountingPolicy.from_config(app.config)


_lesson_ids = count(1000)


@pytest.fixture
def make_facts():
    def factory(duration=120.0, kind="video", threshold=0.95, hours="0.50", quiz=None, lesson_id=None):
        return LessonFacts(
            lesson_id=lesson_id or next(_lesson_ids),
            course_id=77,
            kind=kind,
            duration=duration,
            completion_threshold=threshold,
            credit_share=Decimal(hours),
            course_credit_hours=Decimal("100.00"),
            gating_quiz_id=quiz,
            title="两学一做专题党课",
        )

    return factory


class Player:
    """A client that sends heartbeats the way the lesson player does."""

    def __init__(self, user, facts, policy, clock, session_id="tab-aaaa-0001"):
        self.user, self.facts, self.policy, self.clock = user, facts, policy, clock
        self.session_id, self.seq, self.position = session_id, 0, 0.0
        #: A person answers the presence check (防挂机) when it appears; a script does not.
        self.answers_presence = True

    def send(self, event, position=None, rate=1.0, visible=True, seq=None):
        if position is not None:
            self.position = position
        beat = Heartbeat(
            self.session_id, self.seq if seq is None else seq, self.position, rate, visible, event
        )
        if seq is None:
            self.seq += 1
        return record_heartbeat(self.user, self.facts, beat, self.policy)

    def watch(self, seconds, rate=1.0, step=15.0, visible=True):
        """Play for ``seconds`` of wall time, a heartbeat every ``step`` seconds."""
        state = None
        elapsed = 0.0
        while elapsed < seconds:
            dt = min(step, seconds - elapsed)
            self.clock.advance(dt)
            elapsed += dt
            self.position = min(self.facts.duration, self.position + dt * rate)
            state = self.send("tick", rate=rate, visible=visible)
            if state.presence_check is not None and self.answers_presence:
                self.answer_presence(state)
        return state

    def answer_presence(self, state, code=None):
        """Type the digits the image shows, as the person in front of the screen would."""
        challenge = db.session.scalars(
            sa.select(PresenceChallenge).where(PresenceChallenge.public_id == state.presence_check.public_id)
        ).one()
        return presence.answer(
            self.user.id, challenge.public_id, code or challenge.code, self.policy.presence
        )


@pytest.fixture
def player(clock, policy):
    def factory(user, facts, session_id="tab-aaaa-0001"):
        return Player(user, facts, policy, clock, session_id)

    return factory
