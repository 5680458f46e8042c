"""Background work of the accounts domain: thin wrappers that take ids and call services."""

from datetime import timedelta

from flask import current_app

from app.accounts import jobs
from app.accounts.importing import run_import_job
from app.accounts.models import ImportJob, User
from app.accounts.services import purge_login_failures
from app.extensions import celery, db


@celery.task(name="accounts.import_members", acks_late=True)
def import_members_task(job_id: int) -> dict:
    job = db.session.get(ImportJob, job_id)
    if job is None or job.is_finished:  # redelivered after it finished: nothing to do
        return {"job_id": job_id, "status": job.status if job else "missing"}
    actor = db.session.get(User, job.created_by_id) if job.created_by_id else None
    run_import_job(
        job, actor, commit=db.session.commit, activation_days=current_app.config["ACTIVATION_CODE_DAYS"]
    )
    return {
        "job_id": job_id,
        "status": job.status,
        "created": job.created_count,
        "updated": job.updated_count,
    }


@celery.task(name="accounts.purge_login_failures")
def purge_login_failures_task() -> int:
    count = purge_login_failures(older_than=timedelta(days=1))
    db.session.commit()
    return count


@celery.task(name="accounts.sweep_stale_jobs")
def sweep_stale_jobs_task() -> int:
    """Run by beat: fail the background jobs whose worker died. Guarded updates: overlapping runs
    fail each job once."""
    config = current_app.config
    failed = jobs.sweep_stale_jobs(
        config["JOB_STALE_AFTER_SECONDS"], config["JOB_QUEUED_STALE_AFTER_SECONDS"]
    )
    db.session.commit()
    return len(failed)
