"""Organisation-life benchmarks on PostgreSQL, each figure beside its peer from the same run.

Run: ``.venv/bin/python -m bench.branchlife [--branches 3000] [--rush 500] [--window 30]``. Needs
PostgreSQL at ``BENCH_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``);
a scratch database is created next to it and dropped at the end.

1. The compliance board of the whole organisation — ``--branches`` 党支部 (in 党总支 of 100) with a
   year of meetings each (48: 党小组会, 支委会 and 主题党日 monthly, 支部党员大会 and 党课 quarterly;
   every tenth branch skips some) — through ``GET /api/v1/branches/<root>/compliance``, beside the
   coordinator dashboard (``GET /records/dashboard``) over the same organisation (10 members a
   branch). Goal: under 1 s.
2. A check-in rush: ``--rush`` members each checking in once (``POST /api/v1/meetings/<id>/checkin``)
   at a random moment within ``--window`` seconds, through gunicorn with 2 workers: p95, beside the
   same schedule of ``GET /api/v1/me`` (the trivial authenticated endpoint).
"""

import argparse
import http.client
import json
import os
import random
import statistics
import threading
import time
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from bench.records import ROOT, copy_rows, gunicorn, make_app, scratch_database

MEMBERS_PER_BRANCH = 10
#: (kind, months, day) of the year each branch holds
YEAR = (
    ("group", range(1, 13), 10),
    ("committee", range(1, 13), 12),
    ("theme_day", range(1, 13), 8),
    ("general_assembly", (3, 6, 9, 12), 20),
    ("lecture", (2, 5, 8, 11), 22),
)


# Bulk rows by COPY, alike in shape to bench.records' member seeding, kept apart: 3,000 党支部 with
# their meetings here, members with hours entries there.
def build(app, branches: int, year: int) -> dict:
    from app.accounts.models import Role, User
    from app.accounts.passwords import hash_password
    from app.core.clock import utcnow
    from app.extensions import db
    from app.org.models import Branch

    now, started = utcnow(), time.perf_counter()
    pw = hash_password("Bench2026x")
    db.session.execute(
        sa.text(
            "INSERT INTO branch (id, name, kind, parent_id, path, depth, sort_order, created_at, updated_at)"
            " VALUES (1, '公司党委', 'committee', NULL, '/1/', 0, 0, :t, :t)"
        ),
        {"t": now},
    )
    generals = (branches + 99) // 100
    rows, leaves = [], []
    for g in range(generals):
        gid = 2 + g
        rows.append((gid, f"第{g + 1}党总支", "general_branch", 1, f"/1/{gid}/", 1, g, now, now))
    next_id = 2 + generals
    for b in range(branches):
        gid = 2 + b // 100
        rows.append((next_id, f"第{b + 1}党支部", "branch", gid, f"/1/{gid}/{next_id}/", 2, b, now, now))
        leaves.append(next_id)
        next_id += 1
    copy_rows(
        "branch",
        ["id", "name", "kind", "parent_id", "path", "depth", "sort_order", "created_at", "updated_at"],
        rows,
    )
    db.session.execute(sa.text(f"SELECT setval('branch_id_seq', {next_id})"))
    copy_rows(
        "user",
        [
            "employee_no",
            "name",
            "mobile",
            "branch_id",
            "category",
            "password_hash",
            "must_change_password",
            "is_active_account",
            "failed_logins",
            "created_at",
            "updated_at",
        ],
        (
            (
                f"B{i:06d}",
                f"成员{i}",
                f"13{i:09d}",
                leaves[i % branches],
                "full",
                pw,
                False,
                True,
                0,
                now,
                now,
            )
            for i in range(branches * MEMBERS_PER_BRANCH)
        ),
    )
    db.session.execute(sa.text("INSERT INTO user_role (user_id, role) SELECT id, 'member' FROM \"user\""))
    db.session.execute(
        sa.text('INSERT INTO hours_total (user_id, year, hours) SELECT id, :y, (id % 40) FROM "user"'),
        {"y": year},
    )
    admin = User(employee_no="admin", name="管理员", password_hash=pw, branch_id=1)
    admin.set_roles([Role.ADMIN])
    db.session.add(admin)
    meetings = (
        (leaf, f"第{leaf}支部", kind, f"{kind}{month}", date(year, month, day), 90, 8, "finalised", now, now)
        for leaf in leaves
        for kind, months, day in YEAR
        for month in months
        if not (leaf % 10 == 0 and kind == "general_assembly" and month in (6, 9))
    )
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
            "status",
            "created_at",
            "finalised_at",
        ],
        meetings,
    )
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    count = db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("meeting")))
    print(
        f"data: {branches} 党支部, {branches * MEMBERS_PER_BRANCH} members, {count} meetings in {year}, "
        f"built in {time.perf_counter() - started:.0f} s"
    )
    return {"root": db.session.get(Branch, 1).id}


def median_ms(client, path: str) -> float:
    client.get(path)  # warm
    times = []
    for _ in range(5):
        start = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times) * 1000


def reports(app, root: int, year: int, branches: int) -> None:
    client = app.test_client()
    client.post("/login", data={"identifier": "admin", "password": "Bench2026x"})
    board = median_ms(client, f"/api/v1/branches/{root}/compliance?year={year}")
    dashboard = median_ms(client, "/records/dashboard")
    print(f"compliance board, {branches} 党支部 x a year of meetings (API): {board:.0f} ms (goal < 1000)")
    print(f"  peer: coordinator dashboard over the same organisation:     {dashboard:.0f} ms")


def prepare_rush(app, members: int) -> dict:
    """A meeting starting in five minutes for the first ``members`` members (check-in is open), their
    API tokens, and the code (BRANCHLIFE_CODE_SECONDS is long for the run: one code serves)."""
    from app.accounts.models import User
    from app.accounts.services import issue_api_token
    from app.branchlife import services
    from app.branchlife.models import Attendance, Meeting
    from app.core.clock import utcnow
    from app.extensions import db
    from app.org.models import Branch

    leaf = db.session.scalar(sa.select(Branch).where(Branch.kind == "branch").order_by(Branch.id))
    admin = db.session.scalar(sa.select(User).where(User.employee_no == "admin"))
    starts = utcnow() + timedelta(minutes=5)
    meeting = services.plan_meeting(
        admin,
        leaf,
        services.MeetingPlan("general_assembly", "签到压测", starts, starts + timedelta(hours=2), "礼堂"),
    )
    ids = list(
        db.session.scalars(
            sa.select(User.id).where(User.employee_no != "admin").order_by(User.id).limit(members)
        )
    )
    have = set(db.session.scalars(sa.select(Attendance.user_id).where(Attendance.meeting_id == meeting.id)))
    db.session.add_all(Attendance(meeting_id=meeting.id, user_id=i) for i in ids if i not in have)
    db.session.flush()
    code = services.checkin_code(admin, db.session.get(Meeting, meeting.id)).code
    tokens = [issue_api_token(db.session.get(User, i), "bench", None)[1] for i in ids]
    db.session.commit()
    return {"meeting_id": meeting.id, "code": code, "tokens": tokens}


def rush(port: int, kind: str, rush_data: dict, window: float, threads: int = 50) -> float:
    """Every member once, at a random moment in ``window`` seconds; returns the p95 in ms."""
    tokens = rush_data["tokens"]
    rng = random.Random(kind)
    schedule = sorted((rng.uniform(0, window), token) for token in tokens)
    latencies, lock, errors = [], threading.Lock(), []
    start = time.perf_counter()
    body = json.dumps({"code": rush_data["code"]})

    def run(part):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for at, token in part:
            delay = start + at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            began = time.perf_counter()
            if kind == "me":
                conn.request("GET", "/api/v1/me", headers=headers)
            else:
                conn.request(
                    "POST", f"/api/v1/meetings/{rush_data['meeting_id']}/checkin", body=body, headers=headers
                )
            response = conn.getresponse()
            payload = response.read()
            with lock:
                latencies.append(time.perf_counter() - began)
                if response.status != 200:
                    errors.append((response.status, payload[:200]))

    workers = [threading.Thread(target=run, args=(schedule[i::threads],)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        raise RuntimeError(f"{kind}: {len(errors)} failed, first {errors[0]}")
    latencies.sort()
    return latencies[int(len(latencies) * 0.95)] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--branches", type=int, default=3000)
    parser.add_argument("--rush", type=int, default=500)
    parser.add_argument("--window", type=float, default=30)
    parser.add_argument("--port", type=int, default=5078)
    args = parser.parse_args()
    os.environ["BRANCHLIFE_CODE_SECONDS"] = "3600"  # one code for the whole rush (see prepare_rush)
    year = datetime.now().year
    with scratch_database() as url:
        app = make_app(url)
        from flask_migrate import upgrade

        from app.extensions import db

        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"), revision="heads")
            ids = build(app, args.branches, year)
            reports(app, ids["root"], year, args.branches)
            rush_data = prepare_rush(app, args.rush)
            db.session.remove()
            db.engine.dispose()
        (ROOT / "var").mkdir(exist_ok=True)
        with gunicorn(url, args.port):
            rush(args.port, "me", {**rush_data, "tokens": rush_data["tokens"][:100]}, 3)  # warm both workers
            me = rush(args.port, "me", rush_data, args.window)
            checkin = rush(args.port, "checkin", rush_data, args.window)
        print(
            f"check-in rush, {args.rush} members within {args.window:.0f} s (gunicorn -w 2): "
            f"p95 {checkin:.1f} ms"
        )
        print(f"  peer: GET /api/v1/me on the same schedule:                 p95 {me:.1f} ms")


if __name__ == "__main__":
    main()
