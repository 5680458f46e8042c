"""Import jobs, whatever they import: the upload saved to disk, the work run on a worker with its
progress recorded, the outcome and per-row report kept on the job for its progress page.

The job row is the accounts domain's ``ImportJob`` (``kind`` says what it imports); this module
only sets its attributes, so it needs no import of any domain.
"""

import logging
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from flask import render_template, request

from app.core.clock import utcnow
from app.core.errors import json_ok
from app.extensions import db

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


class Outcome(Protocol):
    """What an importer reports: rows seen, written, left out, the per-row errors, a file message."""

    total_rows: int
    created: int
    updated: int
    skipped: int
    errors: list[dict]
    message: str | None

    @property
    def ok(self) -> bool: ...


def save_upload(stream, suffix: str, folder: str) -> Path:
    """Stream an uploaded file into ``folder`` under a random name (never held in memory)."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    stored = target / f"{uuid.uuid4().hex}{suffix}"
    with stored.open("wb") as out:
        shutil.copyfileobj(stream, out, length=1024 * 1024)
    return stored


# Alike in shape to media_pipeline's SweepReport.as_dict and search_index's as_json: different fields.
def job_status(job) -> dict:
    """The progress page's JSON."""
    return {
        "status": job.status,
        "percent": job.percent,
        "processed": job.processed_rows,
        "total": job.total_rows,
        "finished": job.is_finished,
        "message": job.message if job.is_finished else None,
    }


def job_page(job, template: str, **context):
    """A job's progress page, or with ``?format=json`` what the page polls (:func:`job_status`)."""
    if request.args.get("format") == "json":
        return json_ok(job_status(job))
    return render_template(template, job=job, **context)


def run_job(job, work: Callable[[Progress], Outcome], commit: Callable[[], None], on_success=None) -> Outcome:
    """Run ``work(progress)`` for a stored job, recording its progress and outcome on the job.

    ``work`` writes nothing unless every row is valid; ``commit`` persists the job (and the rows
    written) at the start and at the end; ``on_success(outcome)`` runs before the final commit.
    The rows are one transaction, so progress (and the heartbeat) is saved only then: a worker that
    dies meanwhile leaves nothing written, and the stale-job sweep fails its job.
    """
    job.status, job.heartbeat_at = "running", utcnow()
    commit()

    def progress(done: int, total: int) -> None:
        job.processed_rows, job.total_rows = done, total

    try:
        outcome = work(progress)
    except Exception:
        logger.exception("import job %s failed", job.id)
        db.session.rollback()
        job.status, job.message = "failed", "导入时发生意外错误，未写入任何数据。请联系管理员。"
        job.finished_at = utcnow()
        commit()
        raise
    job.total_rows = outcome.total_rows
    job.errors = outcome.errors or None
    job.message = outcome.message
    job.created_count, job.updated_count = outcome.created, outcome.updated
    job.skipped_count = outcome.skipped
    job.finished_at = utcnow()
    if outcome.ok:
        job.status = "done"
        job.processed_rows = outcome.total_rows
        if on_success is not None:
            on_success(outcome)
    else:
        job.status = "rejected"
    commit()
    Path(job.stored_path).unlink(missing_ok=True)
    return outcome
