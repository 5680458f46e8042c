"""Background work of the media pipeline: thin wrappers that take ids and call services.

Crash safety comes from four pieces working together:

- ``acks_late`` + ``reject_on_worker_lost``: the broker keeps the message until the task returns,
  and gives it back when the worker process dies, so a killed transcode runs again;
- prefetch 1 (worker configuration: ``celery worker -Q media --prefetch-multiplier 1``), so an idle
  worker never sits on a message a busy one reserved;
- with Redis, ``CELERY_VISIBILITY_TIMEOUT`` above the longest time limit (checked at start-up in
  :func:`check_visibility_timeout`), or Redis hands a running job to a second worker;
- the per-asset lease (:func:`media_pipeline.services.acquire_lease`), so a redelivered message
  never runs beside a live run, and takes over once a dead run's lease has lapsed.
"""

import logging

from celery.exceptions import SoftTimeLimitExceeded
from flask import current_app
from kombu.exceptions import KombuError, OperationalError

from app.extensions import celery, db
from media_pipeline import services
from media_pipeline.models import MediaAsset
from media_pipeline.probe import MediaInputError

logger = logging.getLogger(__name__)

#: Retries of a transient failure (a full disk, a lost database connection, ffmpeg killed).
MAX_RETRIES = 4
#: Seconds to let the hard limit's kill follow the soft limit's clean stop.
HARD_LIMIT_GRACE = 120


def retry_countdown(retries: int) -> int:
    """Exponential backoff: 30 s, 1 min, 2 min, 4 min..."""
    return min(3600, 30 * 2**retries)


def time_limits(duration: float | None, config) -> tuple[int, int]:
    """(soft, hard) seconds for processing media of ``duration`` seconds."""
    base = config["MEDIA_TASK_TIME_BASE_SECONDS"]
    soft = int(base + config["MEDIA_TASK_TIME_PER_MEDIA_SECOND"] * (duration or 0))
    return soft, soft + HARD_LIMIT_GRACE


def check_visibility_timeout(config) -> bool:
    """With Redis, a visibility timeout shorter than the longest transcode makes Redis hand a
    running job to a second worker. Logged loudly at start-up; ``False`` when misconfigured."""
    if not str(config.get("CELERY_BROKER_URL", "")).startswith(("redis://", "rediss://")):
        return True
    _soft, hard = time_limits(config["MEDIA_MAX_DURATION_SECONDS"], config)
    if config["CELERY_VISIBILITY_TIMEOUT"] <= hard:
        logger.error(
            "CELERY_VISIBILITY_TIMEOUT (%ss) is not above the longest media task (%ss): Redis will "
            "redeliver long transcodes to a second worker while the first still runs",
            config["CELERY_VISIBILITY_TIMEOUT"],
            hard,
        )
        return False
    return True


@celery.task(
    name="media_pipeline.process_asset",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
)
def process_asset_task(self, asset_id: int) -> str:
    holder = services.new_lease_holder(self.request.id or "")
    try:
        outcome = services.process_asset(
            asset_id, holder=holder, commit=db.session.commit, dispatch=queue_chunk_job
        )
    except SoftTimeLimitExceeded:
        db.session.rollback()
        services.fail_for_good(asset_id, "转码超时：文件处理时间超过上限，请检查文件或联系管理员。")
        db.session.commit()
        return "failed"
    except services.TRANSIENT_ERRORS as exc:
        db.session.rollback()
        if self.request.retries >= self.max_retries:
            logger.exception("media asset %s: giving up after %s retries", asset_id, self.request.retries)
            services.fail_for_good(asset_id, "转码多次失败（服务器问题），请稍后点击“重新转码”或联系管理员。")
            db.session.commit()
            return "failed"
        logger.warning("media asset %s: transient failure, retrying: %s", asset_id, exc)
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from exc
    if outcome == "busy":
        # A redelivery while a run holds the lease: if that run is alive it finishes the job and
        # this retry finds it done; if it died, its lease lapses and the retry takes over.
        countdown = int(services.lease_seconds_left(asset_id)) + 2
        db.session.rollback()
        raise self.retry(countdown=countdown, max_retries=None)
    return outcome


def _retry_or_fail(task, asset_id: int, exc: Exception):
    """A transient failure of a chunk or join task: retry that task alone, or give up."""
    db.session.rollback()
    if task.request.retries >= task.max_retries:
        logger.exception("media asset %s: giving up after %s retries", asset_id, task.request.retries)
        services.fail_for_good(asset_id, "转码多次失败（服务器问题），请稍后点击“重新转码”或联系管理员。")
        db.session.commit()
        return "failed"
    logger.warning("media asset %s: transient failure in %s, retrying: %s", asset_id, task.name, exc)
    raise task.retry(exc=exc, countdown=retry_countdown(task.request.retries)) from exc


@celery.task(
    name="media_pipeline.encode_chunk",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
)
def encode_chunk_task(self, asset_id: int, key: str, index: int) -> str:
    """One chunk's part of every rung; the last chunk to finish queues the join."""
    try:
        outcome = services.encode_chunk(asset_id, key, index, commit=db.session.commit)
    except MediaInputError as exc:
        db.session.rollback()
        services.fail_for_good(asset_id, str(exc))
        db.session.commit()
        return "failed"
    except (*services.TRANSIENT_ERRORS, services.LeaseLost) as exc:
        return _retry_or_fail(self, asset_id, exc)
    if outcome == "join":
        join_chunks_task.apply_async(args=[asset_id, key])
    return outcome


@celery.task(
    name="media_pipeline.join_chunks",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
)
def join_chunks_task(self, asset_id: int, key: str) -> str:
    try:
        return services.join_asset_chunks(asset_id, key, commit=db.session.commit)
    except MediaInputError as exc:
        db.session.rollback()
        services.fail_for_good(asset_id, str(exc))
        db.session.commit()
        return "failed"
    except (*services.TRANSIENT_ERRORS, services.LeaseLost) as exc:
        return _retry_or_fail(self, asset_id, exc)


def queue_chunk_job(job) -> None:
    """Queue a split asset's missing chunks (each its own task on the media queue), or its join.
    A broker that is down is logged: the lease lapses and the sweeper queues the asset again."""
    soft, hard = time_limits(current_app.config["MEDIA_CHUNK_SECONDS"] * 2, current_app.config)
    try:
        if job.join:
            join_chunks_task.apply_async(args=[job.asset_id, job.key], soft_time_limit=soft, time_limit=hard)
        for index in job.todo:
            encode_chunk_task.apply_async(
                args=[job.asset_id, job.key, index], soft_time_limit=soft, time_limit=hard
            )
    except (OperationalError, KombuError, ConnectionError, OSError):
        logger.exception("could not queue the chunks of media asset %s; the sweeper will retry", job.asset_id)


def queue_asset(asset_id: int) -> bool:
    """Send an asset's processing to the ``media`` queue with time limits scaled to its duration.
    A broker that is down is logged, not raised: the sweeper queues the asset again later.
    Call it after committing (a worker must find the row); it ends its own read transaction."""
    duration = db.session.scalar(db.select(MediaAsset.duration).where(MediaAsset.id == asset_id))
    db.session.commit()  # nothing pending: this only ends the read (on SQLite, a write lock)
    soft, hard = time_limits(duration, current_app.config)
    try:
        process_asset_task.apply_async(args=[asset_id], soft_time_limit=soft, time_limit=hard)
    except (OperationalError, KombuError, ConnectionError, OSError):
        logger.exception("could not queue media asset %s; the sweeper will retry", asset_id)
        return False
    return True


@celery.task(name="media_pipeline.sweep")
def sweep_task() -> dict:
    report = services.sweep()
    db.session.commit()
    for asset_id in report.requeue:
        queue_asset(asset_id)
    return report.as_dict()
