"""Background jobs that never hang: a job whose worker died (OOM, power loss, ``kill -9``) stops
sending heartbeats, and the periodic sweep fails it with a message its progress page shows.

Every job kind saves its heartbeat (``ImportJob.heartbeat_at``) when it is queued, when it starts and
whenever its progress is saved. What a dead job half-wrote, per kind:

- member and question imports write every row in one transaction, committed only at the end: a dead
  worker's transaction is rolled back by the database, so nothing is half-written. Their saved
  upload is removed here (a finished import removes it itself). Their progress and heartbeat are
  saved only with that transaction, so a long import on PostgreSQL is told apart by its row lock
  (skipped while locked); on SQLite keep imports well under ``JOB_STALE_AFTER_SECONDS``.
- a 学时证明 ZIP is written to a ``.part`` file and published whole; the dead job's part is removed
  by the cleanup its module registers (:func:`on_stale`). Certificates it already issued stay: they
  are real, and the next export finds them instead of issuing them again.
"""

import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import ImportJob
from app.core import audit
from app.core.clock import utcnow
from app.extensions import db

logger = logging.getLogger(__name__)

_cleanups: dict[str, Callable[[ImportJob], None]] = {}


def on_stale(kind: str, cleanup: Callable[[ImportJob], None]) -> None:
    """Register what removes a dead job of ``kind``'s half-written output (called by its module)."""
    _cleanups[kind] = cleanup


def get_job_for(
    job_id: int, kind: str, user, *, admins_too: bool = True, refusal: str | None = None
) -> ImportJob:
    """A background job of ``kind`` for its page: 404 when there is none of that kind, 403 (with
    ``refusal``) when ``user`` did not start it; an admin may see anyone's when ``admins_too``."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.kind != kind:
        raise NotFound()
    if job.created_by_id != user.id and not (admins_too and user.is_admin):
        raise Forbidden(refusal)
    return job


def last_heard():
    """SQL: when a job was last heard of (its heartbeat, or its creation for a job that has none)."""
    return sa.func.coalesce(ImportJob.heartbeat_at, ImportJob.created_at)


def heartbeat_values() -> dict:
    return {"heartbeat_at": utcnow()}


def sweep_stale_jobs(
    stale_after_seconds: int, queued_after_seconds: int | None = None, now=None
) -> list[int]:
    """Fail every running job with no heartbeat for ``stale_after_seconds``, and every job still
    queued after ``queued_after_seconds`` (default: 24 times the first, six hours at the defaults: a
    job waiting behind a long one is not dead, but one nobody picked up in hours will never be);
    their ids. Each job is failed by a guarded UPDATE, so a worker finishing at that moment is never
    overwritten and two sweeps never fail one job twice. The caller commits."""
    now = now or utcnow()
    queued_after = queued_after_seconds if queued_after_seconds is not None else 24 * stale_after_seconds
    failed = []
    for status, seconds, message in (
        ("running", stale_after_seconds, _("后台任务中断（处理进程可能已重启），请重新提交。")),
        ("pending", queued_after, _("后台任务排队过久仍未开始（处理进程可能没有运行），请重新提交。")),
    ):
        failed += _fail_silent(status, now - timedelta(seconds=seconds), message, now)
    if failed:
        logger.warning("failed %s background jobs that lost their worker: %s", len(failed), failed)
    return failed


def _fail_silent(status: str, cutoff, message: str, now) -> list[int]:
    last_sign = last_heard()
    # SKIP LOCKED (PostgreSQL): a job row locked by an open transaction has a live worker on it (an
    # import writes all its rows, and its progress, in one transaction): waiting for it would hold
    # the sweep for the whole import, and failing it would be wrong.
    candidates = db.session.scalars(
        sa.select(ImportJob.id)
        .where(ImportJob.status == status, last_sign < cutoff)
        .with_for_update(skip_locked=True)
    ).all()
    failed = []
    for job_id in candidates:
        changed = db.session.execute(
            sa.update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.status == status, last_sign < cutoff)
            .values(status="failed", message=message, finished_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not changed:
            continue
        job = db.session.get(ImportJob, job_id)
        db.session.refresh(job)
        _discard_output(job)
        audit.record(None, "job.stale_failed", job, f"后台任务中断，已标记失败：{job.filename}"[:500])
        failed.append(job_id)
    return failed


def _discard_output(job: ImportJob) -> None:
    cleanup = _cleanups.get(job.kind)
    try:
        if cleanup is not None:
            cleanup(job)
        elif job.stored_path:  # an import's saved upload
            Path(job.stored_path).unlink(missing_ok=True)
            job.stored_path = ""
    except OSError:
        logger.exception("could not remove what stale job %s left", job.id)
