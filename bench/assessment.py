"""党建考核 scoring on PostgreSQL, beside the records dashboard of the same organisation in the same run.

Run: ``.venv/bin/python -m bench.assessment [--branches 3000] [--per-branch 17]``. Needs PostgreSQL at
``BENCH_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``); a scratch
database is created next to it and dropped at the end.

The organisation is bench.branchlife's: ``--branches`` 党支部 in 党总支 of 100, ``--per-branch``
members each (3,000 × 17 = 51,000), a year of meetings, yearly 学时 totals; added here: six notices
asking for a receipt with about two thirds of the receipts given, and five assigned courses with two
in five completed. The scheme is the demo's: six computed indicators (学时, courses, contests, 三会一课,
民主评议, receipts) and a manual one. Figures (median of 5, warm):

1. scoring the whole organisation live (``scores_for`` with every indicator's lines) — goal < 1 s;
2. the same through ``GET /api/v1/assessments/<id>/scores`` (JSON of every line);
3. freezing (computing once and writing the snapshot), then reading the frozen scores;
4. peer: the coordinator dashboard (``GET /records/dashboard``) over the same organisation.
"""

import argparse
import statistics
import time

import sqlalchemy as sa

import bench.branchlife as life
from bench.records import copy_rows, make_app, scratch_database

NOTICES, COURSES = 6, 5


def add_receipts_and_courses(year: int) -> None:
    from app.accounts.models import User
    from app.core.clock import utcnow
    from app.extensions import db
    from app.portal.models import Notice
    from courses.models import Course, CourseAssignment

    now = utcnow()
    admin = db.session.scalar(sa.select(User).where(User.employee_no == "admin"))
    generals = list(
        db.session.scalars(sa.text("SELECT id FROM branch WHERE kind = 'general_branch' ORDER BY id"))
    )
    notices = []
    for n in range(NOTICES):
        notice = Notice(
            kind="notice",
            title=f"通知{n}",
            body="请回执",
            branch_id=None if n % 2 == 0 else generals[n % len(generals)],
            author_id=admin.id,
            requires_receipt=True,
            published_at=now,
        )
        db.session.add(notice)
        notices.append(notice)
    courses = [
        Course(title=f"必修{c}", category="理论学习", owner_id=admin.id, status="published", published_at=now)
        for c in range(COURSES)
    ]
    db.session.add_all(courses)
    assignment = CourseAssignment(
        title="年度必修", branch_id=1, start_on=now.date(), due_on=now.date(), created_by_id=admin.id
    )
    db.session.add(assignment)
    db.session.flush()
    members = list(db.session.scalars(sa.select(User.id).where(User.employee_no != "admin")))
    copy_rows(
        "notice_read",
        ["notice_id", "user_id", "read_at"],
        ((n.id, u, now) for n in notices for u in members if (u + n.id) % 3),
    )
    copy_rows(
        "course_assignment_course", ["assignment_id", "course_id"], ((assignment.id, c.id) for c in courses)
    )
    copy_rows("course_assignment_member", ["assignment_id", "user_id"], ((assignment.id, u) for u in members))
    copy_rows(
        "course_enrollment",
        ["course_id", "user_id", "enrolled_at", "source", "completed_at"],
        ((c.id, u, now, "assignment", now if (u + c.id) % 5 < 2 else None) for u in members for c in courses),
    )
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


def median_s(fn) -> float:
    fn()  # warm
    times = []
    for _ in range(5):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def by_kind(scheme, year: int) -> dict[str, float]:
    """Each computed kind's figures for the whole organisation, timed alone (median of 5)."""
    from app.assessment import indicators
    from app.assessment.services.scoring import period_of
    from app.core.clock import localtoday

    period = period_of(scheme, localtoday())
    return {
        key: median_s(lambda kind=kind: kind.figures("", period)) for key, kind in indicators.KINDS.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--branches", type=int, default=3000)
    parser.add_argument("--per-branch", type=int, default=17)
    args = parser.parse_args()
    life.MEMBERS_PER_BRANCH = args.per_branch
    with scratch_database() as url:
        app = make_app(url)
        with app.app_context():
            from flask_migrate import upgrade

            from app.accounts.models import User
            from app.assessment import demo, services
            from app.assessment.models import Scheme
            from app.core.clock import localtoday
            from app.extensions import db

            upgrade(directory=str(life.ROOT / "migrations"))
            year = localtoday().year
            life.build(app, args.branches, year)
            add_receipts_and_courses(year)
            admin = db.session.scalar(sa.select(User).where(User.employee_no == "admin"))
            scheme = demo._define(admin, f"{year}年度党建考核", year)
            db.session.commit()
            scheme_id = scheme.id
            members = args.branches * args.per_branch

            def live():
                db.session.expire_all()
                scheme = db.session.get(Scheme, scheme_id)
                nodes = services.scores_for(scheme, "")
                assert sum(1 for n in nodes if n.is_branch) == args.branches

            scheme_obj = scheme
            client = app.test_client()
            client.post("/login", data={"identifier": "admin", "password": "Bench2026x"})

            def api():
                response = client.get(f"/api/v1/assessments/{scheme_id}/scores")
                assert response.status_code == 200, response.status_code

            def dashboard():
                assert client.get("/records/dashboard").status_code == 200

            scoring, through_api, peer = median_s(live), median_s(api), median_s(dashboard)
            breakdown = by_kind(scheme_obj, year)
            start = time.perf_counter()
            services.freeze_scheme(admin, db.session.get(Scheme, scheme_id))
            db.session.commit()
            freezing = time.perf_counter() - start
            frozen, frozen_api = median_s(live), median_s(api)
            size = len(scheme_obj.indicators)
            print(f"organisation: {args.branches} 党支部, {members} members, scheme of {size} indicators")
            print(f"assessment scoring, live (service, every line):   {scoring * 1000:.0f} ms (goal < 1000)")
            print(f"  the same through the API (JSON of every line):  {through_api * 1000:.0f} ms")
            print(f"  freezing (compute + write the snapshot):        {freezing * 1000:.0f} ms")
            read = f"{frozen * 1000:.0f} / {frozen_api * 1000:.0f}"
            print(f"  frozen scores read (service / API):             {read} ms")
            print(f"  peer: records dashboard, same organisation:     {peer * 1000:.0f} ms")
            print("  of which, each computed kind's figures for the whole organisation:")
            for key, seconds in breakdown.items():
                print(f"    {key:<24} {seconds * 1000:.0f} ms")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
