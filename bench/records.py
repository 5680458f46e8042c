"""Learning-hours benchmarks on PostgreSQL, each figure beside its peer from the same run.

Run: ``.venv/bin/python -m bench.records [--members 50000] [--seconds 15] [--clients 16]``. Needs
PostgreSQL at ``BENCH_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``);
a scratch database is created next to it and dropped at the end.

1. Heartbeats (``POST /api/v1/lessons/<id>/progress``) through gunicorn with 2 workers: throughput
   and p95, beside a trivial authenticated JSON endpoint of the same app (``GET /api/v1/me``) under
   the same load. Goal: at least half its throughput.
2. The coordinator dashboard over the whole organisation: ``--members`` members with 20 assigned
   courses each and about ten hours entries each. Goal: under 1 s.
3. The XLSX and CSV exports of every member: time and the growth of resident memory while they run
   (sampled), beside the same export of a tenth of the members (flat memory: the growth must not
   scale with rows).
4. A 三会一课 meeting recorded for every member of a 党支部 (one batch of ledger appends), beside
   the same credit given to another 党支部's members one at a time.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from multiprocessing import Pool
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BASE_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
COURSES, LESSONS_PER_COURSE, LESSON_SECONDS = 20, 5, 600


def wait_until_serving(port: int, seconds: float = 20) -> None:
    """Until a server on ``port`` answers (a freshly started gunicorn loads the app first)."""
    for _ in range(int(seconds / 0.2)):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/login")
            return
        except OSError:
            time.sleep(0.2)


@contextmanager
def scratch_database(base_url: str = BASE_URL):
    """A new, empty PostgreSQL database next to ``base_url``'s, dropped afterwards."""
    name = f"hongke_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def make_app(url: str):
    os.environ.update({"DATABASE_URL": url, "SECRET_KEY": "bench", "HONGKE_CONFIG": "development"})
    from app import create_app
    from app.config import Config

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        WTF_CSRF_ENABLED = False
        CELERY_TASK_ALWAYS_EAGER = True

    return create_app(BenchConfig)


def copy_rows(table: str, columns: list[str], rows) -> None:
    """Bulk-load with PostgreSQL COPY: the data set is large and only its shape matters here."""
    from app.extensions import db

    raw = db.session.connection().connection.dbapi_connection
    with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def branch_tree(generals: int, per_general: int) -> tuple:
    """A 公司党委 with ``generals`` 党总支 of ``per_general`` 党支部 each: (root, the 党支部)."""
    from app.org.services import create_branch

    root = create_branch("公司党委", "committee", None, actor=None)
    leaves = []
    for g in range(generals):
        general = create_branch(f"第{g + 1}党总支", "general_branch", root, actor=None)
        leaves += [
            create_branch(f"第{g + 1}-{b + 1}党支部", "branch", general, actor=None)
            for b in range(per_general)
        ]
    return root, leaves


def build(app, members: int) -> dict:
    """The organisation, courses, assignments, enrolments and hours entries; returns ids for the load."""
    from app.accounts.models import Role, User
    from app.accounts.passwords import hash_password
    from app.accounts.services import issue_api_token
    from app.core.clock import utcnow
    from app.extensions import db
    from courses.models import Chapter, Course, CourseAssignment, Lesson
    from media_pipeline.models import MediaAsset

    now = utcnow()
    started = time.perf_counter()
    root, leaves = branch_tree(10, 10)
    db.session.flush()
    pw = hash_password("Bench2026x")
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
                leaves[i % len(leaves)].id,
                "full",
                pw,
                False,
                True,
                0,
                now,
                now,
            )
            for i in range(members)
        ),
    )
    user_ids = list(db.session.scalars(sa.select(User.id).order_by(User.id)))
    copy_rows("user_role", ["user_id", "role"], ((uid, "member") for uid in user_ids))
    admin = User(employee_no="admin", name="管理员", password_hash=pw, branch_id=root.id)
    admin.set_roles([Role.ADMIN])
    db.session.add(admin)
    db.session.flush()

    assets, courses, lessons = [], [], []
    for c in range(COURSES):
        course = Course(
            title=f"必修课程{c + 1}",
            category="理论学习",
            credit_hours=2,
            owner_id=admin.id,
            status="published",
            is_required=True,
            published_at=now,
        )
        db.session.add(course)
        db.session.flush()
        chapter = Chapter(course_id=course.id, title="第一章", position=1)
        db.session.add(chapter)
        db.session.flush()
        for n in range(LESSONS_PER_COURSE):
            asset = MediaAsset(
                owner_id=admin.id,
                status="ready",
                original_filename="bench.mp4",
                duration=LESSON_SECONDS,
                has_video=True,
                has_audio=True,
            )
            db.session.add(asset)
            db.session.flush()
            lesson = Lesson(
                course_id=course.id,
                chapter_id=chapter.id,
                position=n + 1,
                title=f"第{n + 1}讲",
                kind="video",
                media_asset_id=asset.id,
                media_duration=LESSON_SECONDS,
            )
            db.session.add(lesson)
            assets.append(asset)
            lessons.append(lesson)
        courses.append(course)
    db.session.flush()
    assignment = CourseAssignment(
        title="年度必修",
        branch_id=root.id,
        start_on=date(now.year, 1, 1),
        due_on=date(now.year, 6, 30),
        created_by_id=admin.id,
    )
    db.session.add(assignment)
    db.session.flush()
    copy_rows(
        "course_assignment_course", ["assignment_id", "course_id"], ((assignment.id, c.id) for c in courses)
    )
    copy_rows(
        "course_assignment_member", ["assignment_id", "user_id"], ((assignment.id, u) for u in user_ids)
    )
    copy_rows(
        "course_enrollment",
        ["course_id", "user_id", "enrolled_at", "source", "completed_at"],
        (
            (c.id, u, now, "assignment", now if (u + c.id) % 5 < 2 else None)
            for u in user_ids
            for c in courses
        ),
    )
    # About ten entries per member; the chain fields are filler: this measures reports, not verify.
    copy_rows(
        "hours_entry",
        [
            "user_id",
            "year",
            "hours",
            "source_kind",
            "source_ref",
            "course_id",
            "title",
            "reason",
            "occurred_on",
            "created_at",
            "chain_index",
            "prev_hash",
            "hash",
        ],
        (
            (
                u,
                now.year,
                "0.40",
                "lesson",
                f"lesson:{lessons[k].id}",
                lessons[k].course_id,
                "课时",
                "完成课时",
                now - timedelta(days=k),
                now,
                k + 1,
                "0" * 64,
                "0" * 64,
            )
            for u in user_ids
            for k in range(u % 20)
        ),
    )
    # The yearly totals append_entry keeps beside the ledger, as the migration backfills them.
    db.session.execute(
        sa.text(
            "INSERT INTO hours_total (user_id, year, hours)"
            " SELECT user_id, year, SUM(hours) FROM hours_entry GROUP BY user_id, year"
        )
    )
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")  # what autovacuum does after a bulk load
    tokens = [issue_api_token(db.session.get(User, uid), "bench", None)[1] for uid in user_ids[:64]]
    db.session.commit()
    print(
        f"data: {members} members, {COURSES} courses x {LESSONS_PER_COURSE} lessons, "
        f"{members * COURSES} enrolments, built in {time.perf_counter() - started:.0f} s"
    )
    return {"tokens": tokens, "lesson_ids": [lesson.id for lesson in lessons[:LESSONS_PER_COURSE]]}


# --- load --------------------------------------------------------------------------------------


def _client(args) -> list[float]:
    port, kind, tokens, lesson_ids, seconds, threads = args
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def run(token: str, lesson_id: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        session, seq, position = uuid.uuid4().hex, 0, 0.0
        mine = []
        while time.perf_counter() < deadline:
            if kind == "me":
                method, path, body = "GET", "/api/v1/me", None
            else:
                if position >= LESSON_SECONDS - 2:
                    session, seq, position = uuid.uuid4().hex, 0, 0.0
                event = "play" if seq == 0 else "tick"
                body = json.dumps(
                    {
                        "session_id": session,
                        "seq": seq,
                        "position": position,
                        "rate": 1.0,
                        "visible": True,
                        "event": event,
                    }
                )
                method, path = "POST", f"/api/v1/lessons/{lesson_id}/progress"
                seq, position = seq + 1, position + 1.0
            start = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}")
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    workers = [
        threading.Thread(target=run, args=(tokens[i], lesson_ids[i % len(lesson_ids)]))
        for i in range(threads)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return latencies


def load(port: int, kind: str, tokens: list[str], lesson_ids: list[int], seconds: float, clients: int):
    per_process = clients // 2
    jobs = [
        (port, kind, tokens[i * per_process : (i + 1) * per_process], lesson_ids, seconds, per_process)
        for i in range(2)
    ]
    with Pool(2) as pool:
        latencies = [x for part in pool.map(_client, jobs) for x in part]
    latencies.sort()
    return len(latencies) / seconds, latencies[int(len(latencies) * 0.95)] * 1000


@contextmanager
def gunicorn(url: str, port: int):
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench",
        "HONGKE_CONFIG": "development",
        "CELERY_TASK_ALWAYS_EAGER": "1",
    }
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(ROOT / "var" / "bench-gunicorn.log").open("w"),
    )
    try:
        wait_until_serving(port)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=20)


# --- reports -----------------------------------------------------------------------------------


def time_dashboard(app) -> float:
    client = app.test_client()
    client.post("/login", data={"identifier": "admin", "password": "Bench2026x"})
    client.get("/records/dashboard")  # warm
    times = []
    for _ in range(5):
        start = time.perf_counter()
        response = client.get("/records/dashboard")
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return statistics.median(times)


def rss_mb() -> float:
    """The process's resident memory now (not its lifetime peak, which start-up already set)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def time_meeting() -> dict:
    """Record one meeting for every member of a 党支部 (one batch of ledger appends), beside crediting
    the members of another 党支部 one by one through the single-entry path."""
    from app.accounts.models import User
    from app.branchlife.services import MeetingData, record_meeting
    from app.core.clock import localtoday
    from app.extensions import db
    from app.org.models import Branch
    from app.records.services import credit_offline_hours

    first, second = db.session.scalars(
        sa.select(Branch).where(Branch.depth == 2).order_by(Branch.id).limit(2)
    )
    admin = db.session.scalar(sa.select(User).where(User.employee_no == "admin"))
    ids = list(db.session.scalars(sa.select(User.id).where(User.branch_id == first.id)))
    start = time.perf_counter()
    record_meeting(admin, first, MeetingData("group", "基准会议", localtoday(), 90, ids))
    db.session.commit()
    batch = time.perf_counter() - start
    others = list(db.session.scalars(sa.select(User).where(User.branch_id == second.id)))
    start = time.perf_counter()
    for member in others:
        credit_offline_hours(
            member,
            source_kind="meeting",
            source_ref="meeting:bench",
            minutes=90,
            actor=admin,
            reason="基准会议",
        )
    db.session.commit()
    return {"members": len(ids), "batch": batch, "single": time.perf_counter() - start}


def export_child(url: str, fmt: str, members_limit: int | None) -> None:
    """Runs in a fresh process: prints seconds and the growth of resident memory during one export,
    sampled every 20 ms while it runs."""
    app = make_app(url)
    with app.app_context():
        client = app.test_client()
        client.post("/login", data={"identifier": "admin", "password": "Bench2026x"})
        client.get("/records/export.csv?branch=999999999")  # warm imports and connection: a 404
        query = "" if members_limit is None else f"?branch={members_limit}"
        before, peak, done = rss_mb(), [0.0], threading.Event()

        def sample():
            while not done.wait(0.02):
                peak[0] = max(peak[0], rss_mb())

        sampler = threading.Thread(target=sample)
        sampler.start()
        start = time.perf_counter()
        response = client.get(f"/records/export.{fmt}{query}")
        size = sum(len(chunk) for chunk in response.response)
        elapsed = time.perf_counter() - start
        done.set()
        sampler.join()
        print(
            json.dumps(
                {
                    "seconds": elapsed,
                    "rss_before_mb": before,
                    "rss_growth_mb": max(peak[0], rss_mb()) - before,
                    "bytes": size,
                    "status": response.status_code,
                }
            )
        )


def run_export(url: str, fmt: str, branch_id: int | None) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.records", "--export-child", url, fmt, str(branch_id or "")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument(
        "--only", choices=("heartbeat", "reports"), help="run one half (heartbeat: use --members 2000)"
    )
    parser.add_argument("--export-child", nargs=3)
    args = parser.parse_args()
    if args.export_child:
        url, fmt, branch = args.export_child
        export_child(url, fmt, int(branch) if branch else None)
        return

    with scratch_database() as url:
        app = make_app(url)
        from flask_migrate import upgrade

        from app.extensions import db
        from app.org.models import Branch

        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"), revision="heads")
            ids = build(app, args.members)
            general = db.session.scalar(sa.select(Branch.id).where(Branch.depth == 1).order_by(Branch.id))
            dashboard = time_dashboard(app) if args.only != "heartbeat" else None
            meeting = time_meeting() if args.only != "heartbeat" else None
            db.session.remove()
            db.engine.dispose()

        if args.only != "reports":
            heartbeats(url, ids, args)
        if args.only != "heartbeat":
            reports(url, dashboard, general, args)
            print(
                f"a meeting recorded for the {meeting['members']} members of a 党支部: "
                f"{meeting['batch'] * 1000:.0f} ms in one batch"
            )
            print(
                f"  peer: the same credit for another 党支部's {meeting['members']} members one at a time "
                f"(credit_offline_hours): {meeting['single'] * 1000:.0f} ms"
            )


def heartbeats(url: str, ids: dict, args) -> None:
    (ROOT / "var").mkdir(exist_ok=True)
    with gunicorn(url, args.port):
        for kind in ("me", "heartbeat"):  # warm both workers: imports, templates, connection pools
            load(args.port, kind, ids["tokens"], ids["lesson_ids"], 2, args.clients)
        me_rps, me_p95 = load(args.port, "me", ids["tokens"], ids["lesson_ids"], args.seconds, args.clients)
        hb_rps, hb_p95 = load(
            args.port, "heartbeat", ids["tokens"], ids["lesson_ids"], args.seconds, args.clients
        )
    print(f"heartbeats (gunicorn -w 2, {args.clients} clients): {hb_rps:7.0f} req/s   p95 {hb_p95:6.1f} ms")
    print(f"  peer: GET /api/v1/me, same load:            {me_rps:7.0f} req/s   p95 {me_p95:6.1f} ms")
    print(f"  heartbeat throughput / peer: {hb_rps / me_rps:.2f} (goal >= 0.5)")


def reports(url: str, dashboard: float, general: int, args) -> None:
    print(
        f"coordinator dashboard, {args.members} members x {COURSES} courses: "
        f"{dashboard * 1000:.0f} ms (goal < 1000)"
    )
    for fmt in ("xlsx", "csv"):
        full = run_export(url, fmt, None)
        part = run_export(url, fmt, general)
        print(
            f"export {fmt.upper()} of all {args.members} members: {full['seconds']:.1f} s, "
            f"RSS {full['rss_before_mb']:.0f} MB, +{full['rss_growth_mb']:.1f} MB at peak, "
            f"{full['bytes'] / 1e6:.1f} MB file"
        )
        print(
            f"  peer: the same export of one 党总支 (a tenth): {part['seconds']:.1f} s, "
            f"RSS {part['rss_before_mb']:.0f} MB, +{part['rss_growth_mb']:.1f} MB at peak"
        )


if __name__ == "__main__":
    main()
