"""Timed-contest benchmark: simulated participants answering a 60-second contest over HTTP.

Run: ``.venv/bin/python -m bench.quiz [--participants 2000] [--answers 5] [--concurrency 32]
[--workers 2] [--database-url URL]``. A fresh database (SQLite file by default) is migrated and
seeded (branches, members with API tokens, a question bank, a contest whose members each have 60 s),
the app is served by gunicorn (sync workers with threads, as in the Procfile), and client threads
play every participant: start their attempt, then submit each answer as soon as the last returned.

Printed side by side, all from the same run against the same server:
- answer submissions: throughput and p50/p95/p99 latency;
- the peer: ``GET /api/v1/me``, a trivial endpoint behind the same token authentication,
  requested the same number of times at the same concurrency;
- the leaderboard once the contest has closed: the ranking + branch statistics endpoint over HTTP,
  and the two SQL queries behind it timed in-process.
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0.0


def figures(label: str, times: list[float], wall: float | None) -> str:
    rate = f"{len(times) / wall:7.1f} /s, " if wall else ""
    p50, p95, p99 = (percentile(times, p) * 1000 for p in (50, 95, 99))
    count = f"{len(times):6d} requests, "
    return f"  {label:21s}{count}{rate}p50 {p50:7.1f} ms, p95 {p95:7.1f} ms, p99 {p99:7.1f} ms"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One keep-alive HTTP connection per thread."""

    local = threading.local()

    def __init__(self, port: int):
        self.port = port

    def request(self, method, path, token, body=None):
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        payload = json.dumps(body) if body is not None else None
        for retry in (False, True):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            start = time.perf_counter()
            try:
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (http.client.HTTPException, OSError):
                # gunicorn closed an idle keep-alive connection; a replayed answer changes nothing.
                self.local.conn = None
                if retry:
                    raise
                continue
            return response.status, json.loads(data), time.perf_counter() - start
        raise AssertionError("unreachable")


def seed(participants: int):
    from app.accounts import services as accounts
    from app.core import clock
    from app.extensions import db
    from app.quiz import bank, contests
    from bench.records import branch_tree

    _root, branches = branch_tree(4, 5)
    for n in range(200):
        kind = ["单选题", "多选题", "判断题", "填空题"][n % 4]
        options = [f"题{n}选项{k}" for k in "ABCD"] if kind in ("单选题", "多选题") else []
        answer = {"单选题": "B", "多选题": "AC", "判断题": "正确", "填空题": f"答案{n}"}[kind]
        bank.create_question(bank.clean_question(kind, f"第{n}题题干", options, answer, f"解析{n}"), None)
    tokens = []
    for i in range(participants):
        data = accounts.UserData(
            employee_no=f"B{i:05d}",
            name=f"参赛{i}",
            mobile=f"135{i:08d}",
            branch_id=branches[i % len(branches)].id,
        )
        user = accounts.create_user(data, ["member"], actor=None)
        tokens.append(accounts.issue_api_token(user, "bench", actor=None)[1])
        if i % 500 == 499:
            db.session.commit()
    now = clock.utcnow()
    contest = contests.create_contest(
        {
            "title": "基准竞赛",
            "opens_at": now - timedelta(minutes=1),
            "closes_at": now + timedelta(hours=2),
            "question_count": 5,
            "time_limit_seconds": 60,
        },
        accounts.find_user_by_login("B00000"),
    )
    db.session.commit()
    return contest.id, tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--answers", type=int, default=5, help="questions each participant answers (≤ 5)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (4 threads each)")
    parser.add_argument("--database-url", help="defaults to a fresh SQLite file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hongke-bench-quiz-") as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        env = {
            **os.environ,
            "FLASK_APP": "wsgi.py",
            "SECRET_KEY": "bench",
            "DATABASE_URL": url,
            "CELERY_TASK_ALWAYS_EAGER": "1",
            "ARGON2_TIME_COST": "1",
            "ARGON2_MEMORY_COST_KIB": "1024",
        }
        os.environ.update(
            {k: env[k] for k in ("SECRET_KEY", "DATABASE_URL", "ARGON2_TIME_COST", "ARGON2_MEMORY_COST_KIB")}
        )
        subprocess.run(
            [str(BIN / "flask"), "db", "upgrade", "heads"], cwd=ROOT, env=env, check=True, capture_output=True
        )

        from app import create_app
        from app.config import Config
        from app.extensions import db
        from app.quiz import contests
        from app.quiz.models import Contest

        app = create_app(Config)
        with app.app_context():
            started = time.perf_counter()
            contest_id, tokens = seed(args.participants)
            seeded = time.perf_counter() - started
            print(
                f"seeded {args.participants} members with tokens, 200 questions, 1 contest in {seeded:.1f} s"
            )

        port = free_port()
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                str(args.workers),
                "--threads",
                "4",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            client = Client(port)
            for _ in range(100):
                try:
                    if client.request("GET", "/api/v1/me", tokens[0])[0] == 200:
                        break
                except (OSError, http.client.HTTPException):
                    time.sleep(0.2)
            answer_times, start_times, failures = [], [], []

            def participant(token):
                status, body, seconds = client.request(
                    "POST", f"/api/v1/contests/{contest_id}/attempt", token
                )
                start_times.append(seconds)
                if status != 200:
                    failures.append(body)
                    return
                data = body["data"]
                for question in data["questions"][: args.answers]:
                    answer = {"single": "B", "multiple": ["A", "C"], "true_false": True, "fill": "答案"}[
                        question["kind"]
                    ]
                    status, result, seconds = client.request(
                        "POST",
                        f"/api/v1/attempts/{data['attempt_id']}/answers",
                        token,
                        {"question_id": question["id"], "answer": answer},
                    )
                    answer_times.append(seconds)
                    if status != 200:
                        failures.append(result)

            began = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                list(pool.map(participant, tokens))
            contest_wall = time.perf_counter() - began

            peer_times = []
            peer_count = len(answer_times)

            def peer(i):
                status, _, seconds = client.request("GET", "/api/v1/me", tokens[i % len(tokens)])
                peer_times.append(seconds)
                if status != 200:
                    failures.append({"peer": status})

            began = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                list(pool.map(peer, range(peer_count)))
            peer_wall = time.perf_counter() - began

            with app.app_context():  # close the contest so its results are published
                contest = db.session.get(Contest, contest_id)
                contest.closes_at = contest.opens_at + timedelta(seconds=61)
                db.session.commit()
            ranking_times = [
                client.request("GET", f"/api/v1/contests/{contest_id}/ranking?limit=50", tokens[1])[2]
                for _ in range(20)
            ]
            with app.app_context():
                contest = db.session.get(Contest, contest_id)
                sql_times = []
                for _ in range(20):
                    t = time.perf_counter()
                    db.session.scalars(contests.contest_ranking_query(contest).limit(50)).unique().all()
                    contests.contest_branch_stats(contest)
                    sql_times.append(time.perf_counter() - t)
                db.session.remove()
        finally:
            server.terminate()
            server.wait(10)

        cpus = os.cpu_count()
        print(f"database: {url.split(':')[0]}, gunicorn {args.workers} workers x 4 threads, ", end="")
        print(f"{args.concurrency} client threads, {cpus} CPUs")
        failed = f"  FAILURES: {len(failures)}" if failures else ""
        played = f"{args.participants} participants x {args.answers} answers"
        print(f"contest: {played} in {contest_wall:.1f} s{failed}")
        print(figures("start attempt", start_times, None))
        print(figures("answer submissions", answer_times, contest_wall))
        print(figures("peer GET /api/v1/me", peer_times, peer_wall))
        print(f"leaderboard after close ({args.participants} ranked):")
        print(figures("HTTP ranking+branches", ranking_times, None))
        print(f"  SQL ranking + branch stats in-process: p50 {statistics.median(sql_times) * 1000:.1f} ms")
        if failures:
            print("first failures:", failures[:3])


if __name__ == "__main__":
    main()
