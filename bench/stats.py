"""党务统计 on PostgreSQL, beside the records dashboard over the same organisation in the same run.

Run: ``.venv/bin/python -m bench.stats [--members 50000] [--branches 3000]``. Needs PostgreSQL at
``BENCH_POSTGRES_URL`` (as ``bench.records``, whose data builder and helpers this reuses); a scratch
database is created and dropped.

Data: ``bench.records.build`` (members, courses, enrolments, about ten ledger entries each) with the
members then spread over ``--branches`` 党支部 and given birth dates, education, gender, category,
Party age and position; a year of meetings in every branch; transfers, 发展党员 steps and playback
sessions of the last twelve weeks.

Figures (median of 5, warm): the beat refresh of the member-structure summary; every chart of the
statistics page for the whole organisation (admin) and for one 党总支 (its coordinator), as the
page's script asks for them; ``GET /api/v1/stats/members``. Peer: ``/records/dashboard`` for the
same admin. Goal: each statistics figure under 1 s.
"""

import argparse
import statistics
import time
from datetime import timedelta

import sqlalchemy as sa

from bench.records import ROOT, build, copy_rows, make_app, scratch_database, time_dashboard

RUNS = 5


def spread(members_branches: int) -> None:
    """More 党支部 under the ten 党总支 that ``build`` made, and the members spread over all of them."""
    from app.extensions import db
    from app.org.models import Branch, BranchKind
    from app.org.services import create_branch

    generals = list(db.session.scalars(sa.select(Branch).where(Branch.depth == 1).order_by(Branch.id)))
    existing = db.session.scalar(sa.select(sa.func.count()).where(Branch.kind == BranchKind.BRANCH))
    for n in range(members_branches - existing):
        create_branch(f"新增第{n + 1}党支部", "branch", generals[n % len(generals)], actor=None)
    db.session.flush()
    db.session.execute(
        sa.text(
            'UPDATE "user" SET branch_id = m.id FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n'
            " FROM branch WHERE kind = 'branch') m WHERE m.n = \"user\".id % :count"
            " AND \"user\".employee_no LIKE 'B%'"
        ),
        {"count": members_branches},
    )
    db.session.execute(
        sa.text(
            "UPDATE \"user\" SET birth_date = DATE '1950-01-01' + (random() * 18000)::int,"
            " education = (ARRAY['junior','senior','college','bachelor','master','doctor'])"
            "[1 + floor(random() * 6)],"
            " gender = (ARRAY['male','female'])[1 + floor(random() * 2)],"
            " category = (ARRAY['full','full','full','probationary','candidate','activist','masses'])"
            "[1 + floor(random() * 7)],"
            " position = (ARRAY['member','member','member','member','committee','secretary'])"
            "[1 + floor(random() * 6)]"
        )
    )
    db.session.execute(
        sa.text(
            'UPDATE "user" SET joined_party_on = birth_date + 6570 + (random() * 9000)::int'
            " WHERE category IN ('full', 'probationary') AND birth_date + 6570 + 9000 < CURRENT_DATE"
        )
    )


def activity(year: int) -> None:
    """Meetings, transfers, development steps and playback sessions."""
    from app.core.clock import utcnow
    from app.extensions import db
    from app.membership.rules import STEPS

    now = utcnow()
    branches = list(db.session.scalars(sa.text("SELECT id FROM branch WHERE kind = 'branch' ORDER BY id")))
    copy_rows(
        "meeting",
        [
            "branch_id",
            "branch_name",
            "kind",
            "title",
            "held_on",
            "minutes",
            "attendees",
            "created_at",
            "status",
        ],
        (
            (b, "支部", "group", f"学习{m}", now.date().replace(month=m, day=10), 90, 10, now, "finalised")
            for b in branches
            for m in range(1, 13)
        ),
    )
    members = sa.text("SELECT id FROM \"user\" WHERE employee_no LIKE 'B%' ORDER BY id")
    users = list(db.session.scalars(members))
    copy_rows(
        "transfer",
        ["member_id", "from_branch_id", "to_branch_id", "status", "reason", "requested_at", "decided_at",
         "reject_reason"],
        (
            (u, branches[i % len(branches)], branches[(i * 7 + 1) % len(branches)], "approved", "", now,
             now - timedelta(days=i % 330), "")
            for i, u in enumerate(users[:3000])
        ),
    )  # fmt: skip
    copy_rows(
        "development_step",
        ["member_id", "key", "done_on", "note", "override_rules", "override_reason", "recorded_at"],
        (
            (u, STEPS[i % len(STEPS)].key, (now - timedelta(days=i % 330)).date(), "", "", "", now)
            for i, u in enumerate(users[:8000])
        ),
    )
    copy_rows(
        "playback_session",
        ["session_key", "user_id", "lesson_id", "started_at", "last_seq", "last_position", "was_playing",
         "was_visible", "budget_seconds", "credited_seconds", "presence_misses"],
        (
            (f"bench-{i}", u, 1, now - timedelta(hours=i % (84 * 24)), 0, 0.0, False, True, 0.0, 0.0, 0)
            for i, u in enumerate(users * 3)
        ),
    )  # fmt: skip
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


def median_of(call) -> float:
    call()  # warm
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def page_charts(client, branch_id: int | None) -> None:
    from app.assessment.statistics.charts import CHARTS

    suffix = f"?branch={branch_id}" if branch_id else ""
    for name in CHARTS:
        response = client.get(f"/assessment/statistics/charts/{name}.json{suffix}")
        assert response.status_code == 200, (name, response.status_code)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--branches", type=int, default=3_000)
    args = parser.parse_args()
    with scratch_database() as url:
        app = make_app(url)
        from flask_migrate import upgrade

        from app.assessment.statistics import services
        from app.core.clock import localtoday
        from app.extensions import db
        from app.org.models import Branch

        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"), revision="heads")
            build(app, args.members)
            started = time.perf_counter()
            spread(args.branches)
            activity(localtoday().year)
            took = time.perf_counter() - started
            print(f"spread over {args.branches} 党支部 with a year of activity in {took:.0f} s")

            def refresh():
                services.refresh_structure(localtoday())
                db.session.commit()

            refreshed = median_of(refresh)
            general = db.session.scalar(sa.select(Branch.id).where(Branch.depth == 1).order_by(Branch.id))
            client = app.test_client()
            client.post("/login", data={"identifier": "admin", "password": "Bench2026x"})
            whole = median_of(lambda: page_charts(client, None))
            one_general = median_of(lambda: page_charts(client, general))
            api = median_of(lambda: client.get("/api/v1/stats/members?by=age"))
            from app.assessment.statistics.charts import CHARTS

            per_chart = {
                name: median_of(lambda name=name: client.get(f"/assessment/statistics/charts/{name}.json"))
                for name in CHARTS
            }
            dashboard = time_dashboard(app)
            db.session.remove()
            db.engine.dispose()
    size = f"{args.members} members in {args.branches} 党支部"
    print(f"党务统计, {size} (PostgreSQL, median of {RUNS}; goal < 1 s each):")
    print(f"  member-structure summary refresh (beat): {refreshed * 1000:.0f} ms")
    print(f"  every chart of the page (11 requests), whole organisation: {whole * 1000:.0f} ms")
    print(f"  every chart of the page, one 党总支: {one_general * 1000:.0f} ms")
    print(f"  GET /api/v1/stats/members?by=age: {api * 1000:.0f} ms")
    print(
        "  each chart, whole organisation: "
        + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in per_chart.items())
    )
    print(f"  peer: /records/dashboard, whole organisation: {dashboard * 1000:.0f} ms")


if __name__ == "__main__":
    main()
