"""``flask seed-demo`` holds a finished 民主评议 in every 党支部 (grades recorded), once, and records
who gave each 党课 (the 书记, except in branches that fall behind)."""

from datetime import UTC, datetime

import sqlalchemy as sa
import time_machine

from app.branchlife import compliance, kinds
from app.branchlife.models import Meeting
from app.branchlife.reviews.models import ReviewBallot, ReviewParticipant, ReviewPhase, ReviewRound
from app.core.clock import localtoday
from app.extensions import db
from app.org.models import Branch, BranchKind
from tests.helpers import count


def test_demo_holds_a_finished_review_in_every_branch_once(runner):
    with time_machine.travel(datetime(2026, 11, 26, 4, tzinfo=UTC), tick=False):
        result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        branches = db.session.scalars(sa.select(Branch).where(Branch.kind == BranchKind.BRANCH)).all()
        rounds = db.session.scalars(sa.select(ReviewRound)).all()
        assert {r.branch_id for r in rounds} == {b.id for b in branches}
        for review in rounds:
            assert review.year == 2026
            assert review.phase() == ReviewPhase.FINISHED
            assert review.voter_count >= 3
            assert all(p.grade is not None for p in review.participants)
            assert all(p.self_assessment for p in review.participants)
        assert count(ReviewBallot) > 0
        grades = set(db.session.scalars(sa.select(ReviewParticipant.grade)))
        assert len(grades) > 1  # some 优秀, most 合格

        lectures = db.session.scalars(sa.select(Meeting).where(Meeting.kind == "lecture")).all()
        assert all(m.lecturer_id for m in lectures)
        boards = [compliance.board(b, 2026, localtoday())[0] for b in branches]
        by_secretary = [next(k for k in b.kinds if k.kind == kinds.SECRETARY_LECTURE) for b in boards]
        assert 0 < sum(1 for k in by_secretary if k.held) < len(boards)  # some branches fall short

        again = runner.invoke(args=["seed-demo"])
        assert again.exit_code == 0, again.output
        assert count(ReviewRound) == len(rounds)
