"""The chunked ladder across workers (issue 20, item 3): a long source's full ladder with one and
with two workers, beside the single-process path, in one run.

Run: ``.venv/bin/python -m bench.media_chunks [--seconds 600] [--size 1920x1080] [--fps 30]``
(``bench.media`` runs it too, with its defaults). Each "worker" is one OS process (as
``celery worker --concurrency 1``) running the real services: ``process_asset`` (probe, plan,
split), ``encode_chunk`` and ``join_asset_chunks``, against one SQLite database and one media root.
The queue between them is a ``multiprocessing`` queue standing in for the broker (Celery's own
per-task overhead, a few milliseconds a message, is left out; there are ten messages per source).

Printed: the single-process path as it was before issue 20 (one ffmpeg, ``MEDIA_PUBLISH_EARLY``
off; chunking off), the chunked ladder with 1 worker (goal:
within 1.10x of the single process) and with 2 workers, and the 1/2-worker ratio, with the load
average at each step (the machine is shared: compare the ratios, not the absolute times); each
with the time until members could watch (the source remuxed as it is, before the chunks).

On a machine with as many cores as workers, x264 in one worker already uses every core, so two
workers cannot halve the time there. ``--cores-per-worker N`` pins each worker (and its ffmpeg)
to its own N cores, as workers on separate machines would be: 1 worker on N cores against 2 on
2N shows what the chunks buy across machines.
"""

import argparse
import multiprocessing as mp
import os
import queue
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_app(folder: Path, settings: dict):
    from app import create_app
    from app.config import Config

    class BenchConfig(Config):
        SECRET_KEY = "bench"  # noqa: S105 -- a throwaway app
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'bench.sqlite'}"
        MEDIA_ROOT = str(folder / "media")
        CELERY_TASK_ALWAYS_EAGER = True
        CELERY_BROKER_URL = "memory://"
        CELERY_RESULT_BACKEND = "cache+memory://"
        MEDIA_MAX_DURATION_SECONDS = 4 * 3600

    for key, value in settings.items():
        setattr(BenchConfig, key, value)
    return create_app(BenchConfig)


def worker(folder: Path, settings: dict, jobs, done, cores: set[int] | None = None) -> None:
    """One worker process: take a job, run its service, queue what it hands on."""
    from app.extensions import db
    from media_pipeline import services

    if cores:
        os.sched_setaffinity(0, cores)  # ffmpeg, started from here, inherits it

    app = make_app(folder, settings)
    with app.app_context():
        while (job := jobs.get()) is not None:
            kind, asset_id, *rest = job
            commit = db.session.commit
            if kind == "process":

                def dispatch(chunk_job, asset_id=asset_id):
                    if chunk_job.join:
                        jobs.put(("join", asset_id, chunk_job.key))
                    for index in chunk_job.todo:
                        jobs.put(("chunk", asset_id, chunk_job.key, index))

                outcome = services.process_asset(
                    asset_id, holder=f"w{os.getpid()}", commit=commit, dispatch=dispatch
                )
                if outcome != "chunked":
                    done.put(outcome)
            elif kind == "chunk":
                if services.encode_chunk(asset_id, *rest, commit=commit) == "join":
                    jobs.put(("join", asset_id, *rest[:1]))
            else:
                done.put(services.join_asset_chunks(asset_id, *rest, commit=commit))
            db.session.remove()


def _playable(folder: Path, asset_id: int) -> bool:
    with sqlite3.connect(folder / "bench.sqlite", timeout=5) as conn:
        row = conn.execute("SELECT output_dir FROM media_asset WHERE id = ?", (asset_id,)).fetchone()
    return bool(row and row[0])


def run_ladder(
    source: Path, folder: Path, workers: int, settings: dict, cores_per_worker: int = 0
) -> tuple[float, float]:
    """Wall seconds from queueing the asset to watchable and to ready, with ``workers`` worker
    processes (each on its own ``cores_per_worker`` cores when set)."""
    from flask_migrate import upgrade

    from app.extensions import db
    from media_pipeline import services

    shutil.rmtree(folder / "media", ignore_errors=True)
    (folder / "bench.sqlite").unlink(missing_ok=True)
    app = make_app(folder, settings)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        asset = services.ingest_file(
            source, source.name, None, None, move=False, commit=db.session.commit, enqueue=lambda _id: None
        )
        asset_id = asset.id
        db.session.remove()
    context = mp.get_context("spawn")
    jobs, done = context.Queue(), context.Queue()
    count = os.cpu_count() or 1
    pins = [
        {(i * cores_per_worker + k) % count for k in range(cores_per_worker)} if cores_per_worker else None
        for i in range(workers)
    ]
    processes = [context.Process(target=worker, args=(folder, settings, jobs, done, pin)) for pin in pins]
    for process in processes:
        process.start()
    time.sleep(3)  # let every worker import the app: start-up is not transcoding
    start = time.perf_counter()
    jobs.put(("process", asset_id))
    watchable = None
    while True:
        try:
            outcome = done.get(timeout=0.2)
            break
        except queue.Empty:
            if watchable is None and _playable(folder, asset_id):
                watchable = time.perf_counter() - start
    wall = time.perf_counter() - start
    for _ in processes:
        jobs.put(None)
    for process in processes:
        process.join()
    assert outcome == "ready", outcome
    return (watchable if watchable is not None else wall), wall


def make_source(path: Path, seconds: int, size: str, fps: int) -> None:
    """H.264 with x264's default 250-frame GOP (as a screen recorder writes it: encoded, not copied)."""
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-nostdin", "-y"),
            *("-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:duration={seconds}"),
            *("-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-crf", "20", "-pix_fmt", "yuv420p"),
            *("-c:a", "aac", "-ac", "2", "-shortest", str(path)),
        ],
        check=True,
    )


def chunked_figures(folder: Path, seconds: int, size: str, fps: int, cores_per_worker: int = 0) -> None:
    source = folder / "long-source.mp4"
    start = time.perf_counter()
    make_source(source, seconds, size, fps)
    print(
        f"long source: {seconds} s {size} {fps} fps, 250-frame GOP ({source.stat().st_size / 1e6:.1f} MB, "
        f"generated in {time.perf_counter() - start:.1f} s); {os.cpu_count()} CPUs"
        + (f"; each worker pinned to {cores_per_worker} core(s)" if cores_per_worker else "")
    )
    single = {"MEDIA_CHUNK_THRESHOLD_SECONDS": 0}
    # Chunked only above the threshold: a source exactly as long as the default (600 s) was not.
    chunked = {"MEDIA_CHUNK_THRESHOLD_SECONDS": max(1, seconds // 2)}
    figures = {}
    for label, workers, settings in (
        ("single process, before issue 20 (one ffmpeg)", 1, {**single, "MEDIA_PUBLISH_EARLY": False}),
        ("chunked, 1 worker", 1, chunked),
        ("chunked, 2 workers", 2, chunked),
    ):
        load = os.getloadavg()[0]
        watchable, figures[label] = run_ladder(source, folder, workers, settings, cores_per_worker)
        print(
            f"  {label:48s} {figures[label]:7.1f} s to the full ladder, watchable after {watchable:6.1f} s "
            f"(load before {load:.2f})"
        )
    one, two = figures["chunked, 1 worker"], figures["chunked, 2 workers"]
    base = figures["single process, before issue 20 (one ffmpeg)"]
    print(
        f"  chunked 1 worker / single process = {one / base:.2f}x (goal <= 1.10); "
        f"1 worker / 2 workers = {one / two:.2f}x faster (ideal 2.0 with a core set per worker)"
    )
    shutil.rmtree(folder / "media", ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=600, help="source duration (default 600)")
    parser.add_argument("--size", default="1920x1080", help="source size (default 1920x1080)")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--cores-per-worker", type=int, default=0, help="pin each worker to N cores (0: no)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hongke-bench-chunks-") as tmp:
        chunked_figures(Path(tmp), args.seconds, args.size, args.fps, args.cores_per_worker)


if __name__ == "__main__":
    main()
