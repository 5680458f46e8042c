"""民主评议 ballots on PostgreSQL: what the secrecy rewrite costs, beside the plain insert it replaces.

Run: ``.venv/bin/python -m bench.branchlife_review [--members 60]``. Needs PostgreSQL at
``BENCH_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``); a scratch
database is created next to it and dropped at the end.

Every member of a 党支部 of ``--members`` casts a ballot (``cast_ballot``: marker, then every ballot
of the round rewritten in random order, so that PostgreSQL's ``xmin`` cannot join a vote's grades to
its marker), one after another, each in its own transaction: the median and p95 of a vote and the
last (largest) one. Peer, in the same run: another 党支部 of the same size voting the way the brief's
minimum allows — the marker and only the voter's own grades inserted (no rewrite).
"""

import argparse
import secrets
import statistics
import time
from datetime import timedelta

import sqlalchemy as sa

from bench.records import ROOT, make_app, scratch_database


def build_branch(name: str, prefix: str, members: int, root) -> tuple[int, list[int]]:
    from app.accounts import services as accounts
    from app.accounts.models import BranchPosition
    from app.branchlife.reviews import services
    from app.core.clock import localtoday, utcnow
    from app.extensions import db
    from app.org import services as org

    branch = org.create_branch(name, "branch", root, actor=None)
    people = [
        accounts.create_user(
            accounts.UserData(employee_no=f"{prefix}{i:05d}", name=f"党员{i}", branch_id=branch.id),
            ["member"],
            None,
            None,
        )
        for i in range(members)
    ]
    people[0].position = BranchPosition.SECRETARY
    now = utcnow()
    review = services.open_round(people[0], branch, localtoday().year, now, now + timedelta(hours=1))
    db.session.commit()
    return review.id, [p.id for p in people]


def plain_vote(voter, review, grades: dict) -> None:
    """The peer: marker plus the voter's own grades, no rewrite."""
    from app.branchlife.reviews.models import ReviewBallot, ReviewVoter, new_ballot_key
    from app.extensions import db

    db.session.add(ReviewVoter(round_id=review.id, voter_id=voter.id))
    rows = [
        {"key": new_ballot_key(), "round_id": review.id, "candidate_id": int(m), "grade": g}
        for m, g in grades.items()
    ]
    secrets.SystemRandom().shuffle(rows)
    db.session.execute(sa.insert(ReviewBallot), rows)


def time_votes(review_id: int, people: list[int], vote) -> list[float]:
    from app.accounts.models import User
    from app.branchlife.reviews.models import ReviewRound
    from app.extensions import db

    timings = []
    for voter_id in people:
        review, voter = db.session.get(ReviewRound, review_id), db.session.get(User, voter_id)
        grades = {str(m): "qualified" for m in people if m != voter_id}
        started = time.perf_counter()
        vote(voter, review, grades)
        db.session.commit()
        timings.append(time.perf_counter() - started)
        db.session.expire_all()
    return timings


def summary(timings: list[float]) -> str:
    p95 = statistics.quantiles(timings, n=20)[-1]
    return (
        f"median {statistics.median(timings) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   "
        f"last {timings[-1] * 1000:6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=60)
    args = parser.parse_args()
    with scratch_database() as url:
        app = make_app(url)
        from flask_migrate import upgrade

        from app.branchlife.reviews import services
        from app.extensions import db
        from app.org import services as org

        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"), revision="heads")
            root = org.create_branch("公司党委", "committee", None, actor=None)
            db.session.commit()
            secret_round, secret_people = build_branch("第一党支部", "A", args.members, root)
            plain_round, plain_people = build_branch("第二党支部", "B", args.members, root)
            secret = time_votes(secret_round, secret_people, services.cast_ballot)
            plain = time_votes(plain_round, plain_people, plain_vote)
            db.session.remove()
            db.engine.dispose()
    n = args.members
    print(f"民主评议, a 党支部 of {n} members, {n} ballots of {n - 1} grades each, one after another:")
    print(f"  cast_ballot (rewrites the round's ballots): {summary(secret)}")
    print(f"  peer: marker + own grades only (no rewrite): {summary(plain)}")


if __name__ == "__main__":
    main()
