"""Courses benchmark: the catalog and a course page under 50 concurrent clients, beside a trivial page.

Run: ``.venv/bin/python -m bench.courses [--courses 1000] [--members 300] [--clients 50]
[--seconds 15] [--database-url URL]``. A fresh database (a SQLite file by default; pass a
PostgreSQL URL for the scaled setup) is migrated and seeded in bulk: ``--courses`` published
courses of two chapters (two video lessons with ready media rows and one article each), ``--members``
members enrolled in about ten courses each. The app is served by gunicorn with 2 workers × 4
threads (as in the Procfile); each client thread logs in as its own member (session cookie, as a
phone's browser does) and requests its page as fast as the server answers.

Printed side by side, from the same run against the same server:
- ``GET /courses/`` (the catalog, newest first; and sorted by most studied) and
  ``GET /courses/<id>`` (a course page with outline and the member's progress) — requests per
  second and p50 / p95 latency;
- the peer: ``GET /api/v1/me``, a trivial authenticated JSON endpoint of the same app and session;
- the page weight of a lesson page (HTML + CSS + JS the browser downloads, without the video).
"""

import argparse
import http.client
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.records import wait_until_serving

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "Bench-Passw0rd"  # noqa: S105 -- a throwaway database's accounts


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(courses: int, members: int) -> dict:
    """Bulk rows through SQL (the services would take minutes for a thousand courses)."""
    import sqlalchemy as sa

    from app.accounts.models import Role, User, UserRole
    from app.accounts.passwords import hash_password
    from app.core.clock import utcnow
    from app.extensions import db
    from app.org.services import create_branch
    from courses.models import Chapter, Course, CourseStatus, Enrollment, Lesson, LessonKind
    from media_pipeline.models import AssetStatus, MediaAsset, MediaRendition, RenditionKind

    rng = random.Random(4)
    now = utcnow()
    root = create_branch("公司党委", "committee", None, actor=None)
    branch = create_branch("第一党支部", "branch", root, actor=None)
    password = hash_password(PASSWORD)
    people = [
        {
            "employee_no": f"B{i:05d}",
            "name": f"学员{i}",
            "branch_id": branch.id,
            "password_hash": password,
            "must_change_password": False,
            "is_active_account": True,
            "failed_logins": 0,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(members + 1)
    ]
    db.session.execute(sa.insert(User), people)
    ids = dict(db.session.execute(sa.select(User.employee_no, User.id)).all())
    trainer_id = ids["B00000"]
    db.session.execute(
        sa.insert(UserRole),
        [{"user_id": trainer_id, "role": Role.TRAINER}]
        + [{"user_id": uid, "role": Role.MEMBER} for uid in ids.values()],
    )
    db.session.execute(
        sa.insert(MediaAsset),
        [
            {
                "owner_id": trainer_id,
                "status": AssetStatus.READY,
                "progress": 100,
                "attempts": 1,
                "original_filename": f"v{i}.mp4",
                "original_size": 1,
                "duration": 600.0 + i % 300,
                "has_video": True,
                "has_audio": True,
                "rotation": 0,
                "needs_tone_mapping": False,
                "output_dir": f"assets/{i}/1700000000-abcdefabcdef",
                "master_playlist": "master.m3u8",
                "poster": "poster.jpg",
                "created_at": now,
                "updated_at": now,
            }
            for i in range(2 * courses)
        ],
    )
    asset_ids = list(db.session.scalars(sa.select(MediaAsset.id).order_by(MediaAsset.id)))
    db.session.execute(
        sa.insert(MediaRendition),
        [
            {"asset_id": a, "kind": kind, "height": h, "bandwidth": b, "path": p}
            for a in asset_ids
            for kind, h, b, p in (
                (RenditionKind.HLS, 360, 800_000, "360p/index.m3u8"),
                (RenditionKind.HLS, 720, 2_800_000, "720p/index.m3u8"),
                (RenditionKind.MP4, 720, 2_000_000, "fallback.mp4"),
            )
        ],
    )
    categories = ["theory", "history", "rules", "policy", "integrity", "skills"]
    db.session.execute(
        sa.insert(Course),
        [
            {
                "title": f"基准课程 {i:04d}：学习贯彻党的二十大精神",
                "summary": "课程简介。" * 20,
                "category": categories[i % len(categories)],
                "tags": ",二十大,理论,",
                "credit_hours": "2.00",
                "kind": "mooc",
                "status": CourseStatus.PUBLISHED,
                "is_required": i % 3 == 0,
                "owner_id": trainer_id,
                "published_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(courses)
        ],
    )
    course_ids = list(db.session.scalars(sa.select(Course.id).order_by(Course.id)))
    db.session.execute(
        sa.insert(Chapter),
        [{"course_id": c, "title": f"第{n}讲", "position": n} for c in course_ids for n in (1, 2)],
    )
    chapters = db.session.execute(sa.select(Chapter.id, Chapter.course_id).order_by(Chapter.id)).all()
    lessons, assets = [], iter(asset_ids)
    for chapter_id, course_id in chapters:
        for position, kind in enumerate((LessonKind.VIDEO, LessonKind.VIDEO, LessonKind.ARTICLE), start=1):
            lessons.append(
                {
                    "course_id": course_id,
                    "chapter_id": chapter_id,
                    "position": position,
                    "title": f"课时 {position}",
                    "kind": kind,
                    "media_asset_id": next(assets, None) if kind == LessonKind.VIDEO else None,
                    "body": "正文内容。" * 200 if kind == LessonKind.ARTICLE else "",
                    "completion_threshold": "0.95",
                    "created_at": now,
                    "updated_at": now,
                }
            )
    db.session.execute(sa.insert(Lesson), lessons)
    enrolments = {
        (rng.choice(course_ids[: courses // 10] if rng.random() < 0.5 else course_ids), uid)
        for uid in ids.values()
        for _ in range(10)
    }
    db.session.execute(
        sa.insert(Enrollment),
        [{"course_id": c, "user_id": u, "enrolled_at": now, "source": "self"} for c, u in enrolments],
    )
    video_lesson = db.session.scalar(sa.select(Lesson.id).where(Lesson.kind == LessonKind.VIDEO).limit(1))
    db.session.commit()
    return {
        "courses": course_ids,
        "members": [f"B{i:05d}" for i in range(1, members + 1)],
        "lesson": video_lesson,
    }


class Session:
    """One member's browser: a keep-alive connection and a session cookie."""

    def __init__(self, port: int, login: str):
        self.port, self.cookie = port, ""
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        _status, page, _headers = self.get("/login")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
        form = {"identifier": login, "password": PASSWORD}
        if token:
            form["csrf_token"] = token.group(1).decode()
        status, _body, _headers = self.request(
            "POST", "/login", urlencode(form), {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status != 302:
            raise RuntimeError(f"login of {login} failed: {status}")

    def _remember(self, headers) -> None:
        for name, value in headers:
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]

    def request(self, method: str, path: str, body=None, headers=None):
        headers = {**(headers or {}), **({"Cookie": self.cookie} if self.cookie else {})}
        for retry in (False, True):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.HTTPException, OSError):
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if retry:
                    raise
                continue
            self._remember(response.getheaders())
            return response.status, data, response.getheaders()
        raise AssertionError("unreachable")

    def get(self, path: str):
        return self.request("GET", path)


def migrated_environment(url: str, folder: Path) -> dict[str, str]:
    """The environment of a bench server on database ``url`` (migrated here) with media in ``folder``;
    this process takes it on too, so that it can seed the same database."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench",
        "HONGKE_CONFIG": "development",
        "MEDIA_ROOT": str(folder / "media"),
        "CELERY_TASK_ALWAYS_EAGER": "1",
    }
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "MEDIA_ROOT")})
    flask = [str(BIN / "flask"), "db", "upgrade", "heads"]
    subprocess.run(flask, cwd=ROOT, env={**env, "FLASK_APP": "wsgi.py"}, check=True, capture_output=True)
    return env


def hammer(sessions: list[Session], paths, seconds: float) -> tuple[float, list[float], int]:
    """Every session requests ``paths()`` back to back for ``seconds``: (req/s, latencies, errors)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def run(session: Session) -> None:
        mine, bad = [], 0
        while time.perf_counter() < deadline:
            path = paths()
            start = time.perf_counter()
            status, _data, _headers = session.get(path)
            mine.append(time.perf_counter() - start)
            bad += status != 200
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=run, args=(s,)) for s in sessions]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies) / (time.perf_counter() - began), latencies, errors[0]


def page_weight(session: Session, path: str) -> tuple[int, list[tuple[str, int]]]:
    status, html, _ = session.get(path)
    assert status == 200, status
    assets = re.findall(rb'<link rel="stylesheet" href="([^"]+)"|<script src="([^"]+)"', html)
    parts = [(path, len(html))]
    for css, js in assets:
        url = (css or js).decode()
        status, data, _ = session.get(url)
        parts.append((url.split("?")[0], len(data) if status == 200 else 0))
    return sum(size for _, size in parts), parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=1000)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hongke-bench-courses-") as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        env = migrated_environment(url, Path(folder))
        from app import create_app
        from app.config import Config
        from app.extensions import db

        app = create_app(Config)
        with app.app_context():
            began = time.perf_counter()
            data = seed(args.courses, args.members)
            print(f"seeded {args.courses} courses ({6 * args.courses} lessons), {args.members} members "
                  f"in {time.perf_counter() - began:.1f} s")  # fmt: skip
            db.session.remove()
            db.engine.dispose()

        port = free_port()
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}",
             "--log-level", "warning", "wsgi:app"],
            cwd=ROOT,
            env=env,
        )  # fmt: skip
        try:
            wait_until_serving(port)
            sessions = [Session(port, login) for login in data["members"][: args.clients]]
            rng = random.Random(7)
            course_ids = data["courses"]
            for session in sessions[:2]:  # warm both workers
                session.get("/courses/")
            results = {
                "GET /courses/ (newest)": hammer(sessions, lambda: "/courses/", args.seconds),
                "GET /courses/?sort=popular": hammer(
                    sessions, lambda: "/courses/?sort=popular", args.seconds
                ),
                "GET /courses/<id>": hammer(
                    sessions, lambda: f"/courses/{rng.choice(course_ids)}", args.seconds
                ),
                "peer GET /api/v1/me": hammer(sessions, lambda: "/api/v1/me", args.seconds),
            }
            total, parts = page_weight(sessions[0], f"/courses/lessons/{data['lesson']}")
        finally:
            server.terminate()
            server.wait(20)

    print(
        f"database: {url.split(':')[0]}, gunicorn 2 workers x 4 threads, {args.clients} concurrent clients, "
        f"{args.seconds:.0f} s each, {os.cpu_count()} CPUs (clients on the same machine)"
    )
    for label, (rate, latencies, errors) in results.items():
        p50, p95 = percentile(latencies, 50) * 1000, percentile(latencies, 95) * 1000
        failed = f"  ({errors} non-200)" if errors else ""
        print(f"  {label:28s} {rate:7.1f} req/s   p50 {p50:7.1f} ms   p95 {p95:7.1f} ms{failed}")
    print(f"lesson page weight (HTML + CSS + JS, no video, uncompressed): {total / 1024:.1f} KiB")
    for path, size in parts:
        print(f"  {size / 1024:8.1f} KiB  {path}")


if __name__ == "__main__":
    main()
