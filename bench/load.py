"""Load at scale (issue 19, item 8): many members watching at once, against gunicorn on PostgreSQL
and Redis, beside the trivial endpoint under the same schedule, in one run.

Run: ``.venv/bin/python -m bench.load [--members 1000] [--seconds 300] [--peer-seconds 60]``. Needs
PostgreSQL at ``BENCH_POSTGRES_URL`` (a scratch database is created and dropped) and Redis at
``BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``) as the Celery broker of the server.

On one machine the simulated members share the server's CPUs, so a saturated run measures the client
as much as the server. To keep them apart, run the server on one machine and the members on another:

- server machine: ``python -m bench.load --serve-only --bind 0.0.0.0:5078 --tokens-out members.json``
  builds the data, starts gunicorn and serves until Ctrl-C (the tokens and the lesson go to the file);
- client machine (a checkout of the project, no database needed): ``python -m bench.load --server
  http://SERVER:5078 --tokens members.json`` drives the members against it and prints the figures.

- a real lesson: a 60 s 360p video made by ffmpeg, transcoded by the pipeline into a scratch media
  root, in a published course every simulated member is enrolled in, each with an API token;
- gunicorn (``-k gthread``, ``--workers``, ``--threads``) serving the app on that database;
- each simulated member (a thread; half of them in each of two client processes) asks
  ``GET /api/v1/lessons/<id>`` for its signed playback URLs, fetches the master and a variant
  playlist with no cookie and no header, then, as a player does, one 4 s segment every 4 s and a
  progress heartbeat (``POST /api/v1/lessons/<id>/progress``, bearer token) every 15 s; members
  start spread over the first 15 s;
- printed per kind of request: count, errors (any status but 2xx, or no answer), p95 latency; the
  throughput; then the **peer**: the same members on the same schedule asking the trivial
  ``GET /api/v1/me`` instead, for ``--peer-seconds``.
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from contextlib import contextmanager
from multiprocessing import Pool
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import sqlalchemy as sa

from bench.records import branch_tree, copy_rows, scratch_database

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
SEGMENT_EVERY, HEARTBEAT_EVERY, LESSON_SECONDS = 4.0, 15.0, 60
#: What reusing a connection the server has just closed raises, before any answer.
STALE_CONNECTION = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


def server_env(url: str, media_root: Path) -> dict:
    return {
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-load",
        "MEDIA_ROOT": str(media_root),
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
        "HONGKE_CONFIG": "development",
    }


def make_video(path: Path) -> None:
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-nostdin", "-y"),
            *("-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=25:duration={LESSON_SECONDS}"),
            *("-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={LESSON_SECONDS}"),
            *("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "50"),
            *("-c:a", "aac", "-ac", "2", "-shortest", str(path)),
        ],
        check=True,
    )


def build(url: str, media_root: Path, members: int) -> dict:
    """Members, one published course with one real video lesson, enrolments and tokens."""
    os.environ.update(server_env(url, media_root))
    from flask_migrate import upgrade

    from app import create_app
    from app.accounts.models import Role, User
    from app.accounts.passwords import hash_password
    from app.accounts.services import issue_api_token
    from app.config import Config
    from app.core.clock import utcnow
    from app.extensions import db
    from courses.models import Chapter, Course, Lesson
    from media_pipeline import services
    from media_pipeline.models import AssetStatus, MediaAsset

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        MEDIA_ROOT = str(media_root)
        CELERY_TASK_ALWAYS_EAGER = True

    app = create_app(BenchConfig)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        now, started = utcnow(), time.perf_counter()
        _root, leaves = branch_tree(2, 5)
        db.session.flush()
        branches = [leaf.id for leaf in leaves]
        password = hash_password("Bench2026x")
        rows = (
            (f"L{i:06d}", f"学员{i}", branches[i % len(branches)], "full", password, False, True, 0, now, now)
            for i in range(members)
        )
        columns = ["employee_no", "name", "branch_id", "category", "password_hash"]
        columns += ["must_change_password", "is_active_account", "failed_logins", "created_at", "updated_at"]
        copy_rows("user", columns, rows)
        user_ids = list(db.session.scalars(sa.select(User.id).order_by(User.id)))
        copy_rows("user_role", ["user_id", "role"], ((uid, "member") for uid in user_ids))
        admin = User(employee_no="admin", name="管理员", password_hash=password, branch_id=branches[0])
        admin.set_roles([Role.ADMIN])
        db.session.add(admin)
        db.session.flush()

        source = media_root / "lesson-source.mp4"
        media_root.mkdir(parents=True, exist_ok=True)
        make_video(source)
        asset = services.ingest_file(
            source, "党课.mp4", admin, None, move=False, commit=db.session.commit, enqueue=lambda _id: None
        )
        assert services.process_asset(asset.id, holder="bench", commit=db.session.commit) == "ready"
        asset = db.session.get(MediaAsset, asset.id)
        assert asset.status == AssetStatus.READY
        course = Course(
            title="负载测试课程",
            category="理论学习",
            credit_hours=1,
            owner_id=admin.id,
            status="published",
            published_at=now,
        )
        db.session.add(course)
        db.session.flush()
        chapter = Chapter(course_id=course.id, title="第一章", position=1)
        db.session.add(chapter)
        db.session.flush()
        lesson = Lesson(
            course_id=course.id,
            chapter_id=chapter.id,
            position=1,
            title="第一讲",
            kind="video",
            media_asset_id=asset.id,
            media_duration=asset.duration,
        )
        db.session.add(lesson)
        db.session.flush()
        copy_rows(
            "course_enrollment",
            ["course_id", "user_id", "enrolled_at", "source"],
            ((course.id, uid, now, "self") for uid in user_ids),
        )
        db.session.commit()
        tokens = [issue_api_token(db.session.get(User, uid), "bench", None)[1] for uid in user_ids]
        db.session.commit()
        print(
            f"data: {members} members enrolled in one course whose lesson is a {asset.duration:.0f} s "
            f"video transcoded by the pipeline ({len(asset.hls_variants())} rungs); "
            f"built in {time.perf_counter() - started:.0f} s"
        )
        lesson_id = lesson.id
        db.session.remove()
        db.engine.dispose()
    return {"tokens": tokens, "lesson_id": lesson_id}


@contextmanager
def gunicorn(url: str, media_root: Path, bind: str, workers: int, threads: int):
    (ROOT / "var").mkdir(exist_ok=True)
    argv = [str(Path(sys.executable).parent / "gunicorn"), "-k", "gthread", "-w", str(workers)]
    argv += ["--threads", str(threads), "-b", bind, "--backlog", "2048", "wsgi:app"]
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        env={**os.environ, **server_env(url, media_root)},
        stdout=subprocess.DEVNULL,
        stderr=(ROOT / "var" / "bench-load-gunicorn.log").open("w"),
    )
    try:
        wait_until_healthy(("127.0.0.1", int(bind.rpartition(":")[2])), workers)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_until_healthy(server: tuple[str, int], workers: int, seconds: float = 180) -> None:
    """Until ``/healthz`` answers 200 a few times in a row (every worker has loaded the app)."""
    deadline, streak = time.monotonic() + seconds, 0
    while time.monotonic() < deadline and streak < 3 * workers:
        try:
            conn = http.client.HTTPConnection(*server, timeout=5)
            conn.request("GET", "/healthz")
            streak = streak + 1 if conn.getresponse().status == 200 else 0
            conn.close()
        except (OSError, http.client.HTTPException):
            streak = 0
            time.sleep(0.5)
    if streak < 3 * workers:
        raise RuntimeError("gunicorn did not become healthy")


# --- the simulated members ------------------------------------------------------------------------


class Member:
    """One viewer: its own connection, its playback URLs, its schedule."""

    def __init__(self, server: tuple[str, int], token: str, lesson_id: int, record):
        self.server, self.token, self.lesson_id, self.record = server, token, lesson_id, record
        self.conn = http.client.HTTPConnection(*server, timeout=30)

    def call(self, kind: str, method: str, path: str, body=None, auth: bool = True) -> bytes | None:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        start = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data, status = response.read(), response.status
                break
            except (OSError, http.client.HTTPException) as exc:
                self.conn.close()
                self.conn = http.client.HTTPConnection(*self.server, timeout=30)
                data, status = None, type(exc).__name__
                # The server closed the idle keep-alive connection (gunicorn after 2 s) just as it
                # was reused: a browser or player sends again on a new one, once, and so does this.
                if attempt == 2 or not isinstance(exc, STALE_CONNECTION):
                    break
        ok = isinstance(status, int) and 200 <= status < 300
        self.record(kind, time.perf_counter() - start, None if ok else status)
        return data if ok else None

    def playlist(self, kind: str, url: str, auth: bool = False) -> tuple[str, list[str]]:
        path = urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else "")
        text = (self.call(kind, "GET", path, auth=auth) or b"").decode()
        return url, [line for line in text.splitlines() if line and not line.startswith("#")]

    def watch(self, deadline: float) -> None:
        data = self.call("lesson", "GET", f"/api/v1/lessons/{self.lesson_id}")
        playback = json.loads(data)["data"]["playback"] if data else None
        if not playback or not playback.get("hls"):
            return
        master, variants = self.playlist("playlist", playback["hls"])
        variant, segments = self.playlist("playlist", urljoin(master, variants[0])) if variants else ("", [])
        session, seq, position, index = uuid.uuid4().hex, 0, 0.0, 0
        next_beat = time.monotonic()
        while time.monotonic() < deadline and segments:
            now = time.monotonic()
            if now >= next_beat:
                body = {"session_id": session, "seq": seq, "position": position, "rate": 1.0}
                body.update({"visible": True, "event": "play" if seq == 0 else "tick"})
                self.call("heartbeat", "POST", f"/api/v1/lessons/{self.lesson_id}/progress", json.dumps(body))
                seq, position, next_beat = seq + 1, position + HEARTBEAT_EVERY, next_beat + HEARTBEAT_EVERY
                if position >= LESSON_SECONDS - 1:
                    session, seq, position, index = uuid.uuid4().hex, 0, 0.0, 0
            segment = urlsplit(urljoin(variant, segments[index % len(segments)]))
            self.call(
                "segment", "GET", segment.path + (f"?{segment.query}" if segment.query else ""), auth=False
            )
            index += 1
            time.sleep(max(0.0, SEGMENT_EVERY - (time.monotonic() - now)))

    def trivial(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            now = time.monotonic()
            self.call("me", "GET", "/api/v1/me")
            time.sleep(max(0.0, SEGMENT_EVERY - (time.monotonic() - now)))


def _client(job) -> dict:
    server, tokens, lesson_id, seconds, mode = job
    figures: dict = defaultdict(lambda: {"latencies": [], "errors": {}})
    lock = threading.Lock()

    def record(kind: str, latency: float, error) -> None:
        with lock:
            figures[kind]["latencies"].append(latency)
            if error is not None:
                errors = figures[kind]["errors"]
                errors[str(error)] = errors.get(str(error), 0) + 1

    deadline = time.monotonic() + seconds
    spread = min(HEARTBEAT_EVERY, seconds / 4)

    def run(i: int, token: str) -> None:
        time.sleep(spread * i / max(1, len(tokens)))
        member = Member(server, token, lesson_id, record)
        (member.watch if mode == "watch" else member.trivial)(deadline)

    threads = [threading.Thread(target=run, args=(i, t), daemon=True) for i, t in enumerate(tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    return {kind: dict(value) for kind, value in figures.items()}


def drive(server: tuple[str, int], tokens: list[str], lesson_id: int, seconds: float, mode: str) -> dict:
    half = len(tokens) // 2
    jobs = [(server, part, lesson_id, seconds, mode) for part in (tokens[:half], tokens[half:])]
    with Pool(2) as pool:
        parts = pool.map(_client, jobs)
    merged: dict = defaultdict(lambda: {"latencies": [], "errors": {}})
    for part in parts:
        for kind, value in part.items():
            merged[kind]["latencies"] += value["latencies"]
            for error, count in value["errors"].items():
                merged[kind]["errors"][error] = merged[kind]["errors"].get(error, 0) + count
    return merged


def report(title: str, figures: dict, seconds: float) -> None:
    total = sum(len(v["latencies"]) for v in figures.values())
    errors = sum(sum(v["errors"].values()) for v in figures.values())
    print(f"{title}: {total / seconds:7.1f} req/s over {seconds:.0f} s, {errors} errors")
    for kind, value in sorted(figures.items()):
        latencies = sorted(value["latencies"])
        p95 = latencies[int(len(latencies) * 0.95)] * 1000 if latencies else float("nan")
        failed = sum(value["errors"].values())
        detail = ", ".join(f"{k}: {n}" for k, n in sorted(value["errors"].items()))
        print(
            f"  {kind:10s} {len(latencies):8d} requests  {failed:6d} errors  p95 {p95:7.1f} ms"
            + (f"  ({detail})" if detail else "")
        )


def run_members(server: tuple[str, int], ids: dict, args) -> None:
    """The members watching, then the peer, against ``server``; the figures printed."""
    watched = drive(server, ids["tokens"], ids["lesson_id"], args.seconds, "watch")
    report(
        f"{len(ids['tokens'])} members watching (segments every 4 s, heartbeats every 15 s)",
        watched,
        args.seconds,
    )
    peer = drive(server, ids["tokens"], ids["lesson_id"], args.peer_seconds, "trivial")
    report("  peer: the same members asking GET /api/v1/me every 4 s", peer, args.peer_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--peer-seconds", type=float, default=60)
    parser.add_argument("--bind", default="127.0.0.1:5078", help="where gunicorn listens")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--serve-only", action="store_true", help="build and serve until Ctrl-C")
    parser.add_argument("--tokens-out", type=Path, help="with --serve-only: where the members' tokens go")
    parser.add_argument("--server", help="drive a server started elsewhere with --serve-only (its URL)")
    parser.add_argument("--tokens", type=Path, help="with --server: the file --tokens-out wrote")
    args = parser.parse_args()
    if args.server:
        if args.tokens is None:
            parser.error("--server needs --tokens (the file the server's --tokens-out wrote)")
        place = urlsplit(args.server)
        server = (place.hostname or "127.0.0.1", place.port or 80)
        print(
            f"driving {args.server} from this machine ({os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f})"
        )
        run_members(server, json.loads(args.tokens.read_text()), args)
        return
    if args.serve_only and args.tokens_out is None:
        parser.error("--serve-only needs --tokens-out (the file the client machine reads)")
    with scratch_database() as url, tempfile.TemporaryDirectory(prefix="hongke-bench-load-") as tmp:
        media_root = Path(tmp) / "media"
        ids = build(url, media_root, args.members)
        with gunicorn(url, media_root, args.bind, args.workers, args.threads):
            print(
                f"gunicorn -k gthread -w {args.workers} --threads {args.threads} on {args.bind}; "
                f"{os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f}"
            )
            if args.serve_only:
                args.tokens_out.write_text(json.dumps(ids))
                print(f"serving; the members' tokens are in {args.tokens_out}; Ctrl-C ends it")
                try:
                    while True:
                        time.sleep(3600)
                except KeyboardInterrupt:
                    return
            run_members(("127.0.0.1", int(args.bind.rpartition(":")[2])), ids, args)


if __name__ == "__main__":
    main()
