"""Many submits at once, as an impatient thumb or a script would send them: one ballot per voter, and
the grades recorded (and sent on to the archive) once."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.accounts import services as accounts
from app.accounts.models import BranchPosition, User
from app.branchlife.reviews import services
from app.branchlife.reviews.models import ReviewBallot, ReviewRound, ReviewVoter
from app.core.clock import localtoday, utcnow
from app.core.signals import review_graded
from app.extensions import db
from app.org import services as org

THREADS = 10


def seed(shared_app) -> dict:
    with shared_app.app_context():
        root = org.create_branch("公司党委", "committee", None, actor=None)
        branch = org.create_branch("第一党支部", "branch", root, actor=None)
        people = [
            accounts.create_user(
                accounts.UserData(
                    employee_no=f"R{i:04d}", name=f"党员{i}", mobile=f"1390000{i:04d}", branch_id=branch.id
                ),
                ["member"],
                None,
                "Passw0rd-x",
            )
            for i in range(4)
        ]
        people[0].position = BranchPosition.SECRETARY
        now = utcnow()
        review = services.open_round(
            people[0], branch, localtoday().year, now - timedelta(minutes=1), now + timedelta(hours=1)
        )
        db.session.commit()
        ids = {"round": review.id, "people": [p.id for p in people]}
        db.session.remove()
    return ids


def at_once(shared_app, work) -> tuple[list, list]:
    """Run ``work()`` in THREADS threads released together; their outcomes and unexpected errors."""
    barrier = threading.Barrier(THREADS)
    outcomes, errors = [], []

    def run() -> None:
        try:
            with shared_app.app_context():
                barrier.wait(timeout=30)
                try:
                    work()
                except services.ReviewError as exc:
                    db.session.rollback()
                    outcomes.append(exc.status)
                else:
                    db.session.commit()
                    outcomes.append("done")
                finally:
                    db.session.remove()
        except Exception as exc:  # reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes, errors


@pytest.mark.integration
def test_a_double_submit_casts_one_ballot_and_grades_are_recorded_once(shared_app):
    ids = seed(shared_app)
    voter_id = ids["people"][1]
    ballot = {str(i): "qualified" for i in ids["people"] if i != voter_id}

    def vote() -> None:
        services.cast_ballot(
            db.session.get(User, voter_id), db.session.get(ReviewRound, ids["round"]), ballot
        )

    outcomes, errors = at_once(shared_app, vote)
    assert errors == []
    assert sorted(outcomes, key=str) == [409] * (THREADS - 1) + ["done"]
    with shared_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReviewVoter)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReviewBallot)) == 3
        db.session.remove()

    graded = []

    def receiver(sender, **facts):
        graded.append(facts["member_id"])

    grades = {}
    with shared_app.app_context():
        review = db.session.get(ReviewRound, ids["round"])
        grades = {str(p.id): "qualified" for p in review.participants}
        db.session.remove()

    def record() -> None:
        services.record_grades(
            db.session.get(User, ids["people"][0]), db.session.get(ReviewRound, ids["round"]), grades, {}
        )

    review_graded.connect(receiver)
    try:
        with time_machine.travel(utcnow() + timedelta(hours=2), tick=True):
            outcomes, errors = at_once(shared_app, record)
    finally:
        review_graded.disconnect(receiver)
    assert errors == []
    assert sorted(outcomes, key=str) == [409] * (THREADS - 1) + ["done"]
    assert sorted(graded) == sorted(ids["people"])  # each member sent on once
    with shared_app.app_context():
        review = db.session.get(ReviewRound, ids["round"])
        assert review.voter_count == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReviewBallot)) == 3
        db.session.remove()
