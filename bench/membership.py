"""Member-lifecycle benchmarks on PostgreSQL, each figure beside its peer from the same run.

Run: ``.venv/bin/python -m bench.membership [--people 5000]``. Needs PostgreSQL at
``BENCH_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``); a scratch
database is created next to it and dropped at the end.

1. The coordinator's board over ``--people`` people in the pipeline (about eight recorded steps each):
   one query of all their steps, beside the same timelines built one member at a time.
2. The reminder pass over the same people (one batch of steps per 500 people), twice: the second
   pass finds everything already sent.
3. QR card verification (HMAC check and one member lookup), beside loading the member alone.
"""

import argparse
import os
import time
from datetime import date, timedelta

import sqlalchemy as sa
from flask_migrate import upgrade

from bench.records import ROOT, make_app, scratch_database

STEPS = (
    "application",
    "talk",
    "activist",
    "contacts",
    "inspection_1",
    "inspection_2",
    "candidate",
    "political_review",
)


def build(people: int) -> None:
    from app.accounts.models import Role, User, UserRole
    from app.extensions import db
    from app.membership.models import DevelopmentStep
    from app.org.services import create_branch

    root = create_branch("基准党委", "committee", None, actor=None)
    branches = [create_branch(f"基准第{i}党支部", "branch", root, actor=None) for i in range(20)]
    db.session.execute(
        sa.insert(User),
        [{"employee_no": "admin", "name": "管理员", "branch_id": root.id, "auth_nonce": "x" * 32}]
        + [
            {
                "employee_no": f"B{i:06d}",
                "name": f"成员{i}",
                "branch_id": branches[i % 20].id,
                "auth_nonce": "x" * 32,
            }
            for i in range(people)
        ],
    )
    ids = dict(db.session.execute(sa.select(User.employee_no, User.id)).all())
    db.session.execute(sa.insert(UserRole), [{"user_id": ids["admin"], "role": Role.ADMIN}])
    start = date.today() - timedelta(days=700)
    rows = []
    for i in range(people):
        done = 1 + i % len(STEPS)
        for n, key in enumerate(STEPS[:done]):
            rows.append(
                {"member_id": ids[f"B{i:06d}"], "key": key, "done_on": start + timedelta(days=40 * n)}
            )
    for chunk in range(0, len(rows), 5000):
        db.session.execute(sa.insert(DevelopmentStep), rows[chunk : chunk + 5000])
    db.session.commit()


def timed(work, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - began)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=5000)
    args = parser.parse_args()
    # Eager tasks (notifications) keep no results: the default SQLite result store is not needed here.
    os.environ.setdefault("CELERY_RESULT_BACKEND", "cache+memory://")
    with scratch_database() as url:
        app = make_app(url)
        with app.app_context():
            from app.accounts.models import User
            from app.extensions import db
            from app.membership.services import cards
            from app.membership.services import development as dev
            from app.membership.services.reminders import send_reminders

            upgrade(directory=str(ROOT / "migrations"), revision="heads")
            build(args.people)
            query = sa.select(User).where(User.employee_no != "admin")

            def board():
                db.session.expire_all()
                dev.board(query)

            def one_by_one():
                db.session.expire_all()
                members = list(db.session.scalars(dev.pipeline_members_query()))
                [dev.build_timeline(m) for m in members]

            print(f"1. board over {args.people} people: {timed(board):.3f} s "
                  f"(peer, one query per member: {timed(one_by_one, 1):.3f} s)")  # fmt: skip
            with app.test_request_context():
                began = time.perf_counter()
                sent = send_reminders()
                first = time.perf_counter() - began
                db.session.commit()
                began = time.perf_counter()
                again = send_reminders()
                second = time.perf_counter() - began
                db.session.rollback()
            print(
                f"2. reminder pass: {first:.3f} s sending {sent}; second pass {second:.3f} s sending {again}"
            )
            member = db.session.scalar(query.limit(1))
            payload = cards.issue_card(member)
            n = 2000

            def verify_one():
                db.session.expunge_all()
                return cards.verify_card(payload)

            def load_one():
                db.session.expunge_all()
                return db.session.get(User, member.id)

            verify = timed(lambda: [verify_one() for _ in range(n)], 1) / n
            load = timed(lambda: [load_one() for _ in range(n)], 1) / n
            print(f"3. card verification: {verify * 1e6:.0f} µs each "
                  f"(peer, loading the member: {load * 1e6:.0f} µs)")  # fmt: skip


if __name__ == "__main__":
    main()
