"""Background work of records: sending xAPI statements to the learning record store, writing a
branch's 学时证明 ZIP and sweeping the expired ones."""

from flask import current_app

from app.accounts.models import ImportJob, User
from app.extensions import celery, db
from app.records import lrs, proof_exports


@celery.task(name="records.send_xapi_statements")
def send_xapi_statements() -> dict:
    """Run by beat; idempotent and locked (the outbox lease), so an overlapping run does nothing."""
    settings = lrs.LrsSettings.from_config(current_app.config)
    if settings is None:
        return {"skipped": "not configured"}
    report = lrs.send_pending_statements(settings, db.session.commit)
    return {
        "sent": report.sent,
        "rejected": report.rejected,
        "failed": report.failed,
        "skipped": report.skipped,
    }


@celery.task(name="records.export_branch_proofs", acks_late=True)
def export_branch_proofs(job_id: int) -> dict:
    job = db.session.get(ImportJob, job_id)
    if job is None or job.kind != proof_exports.KIND or job.is_finished:  # redelivered after it finished
        return {"job_id": job_id, "status": job.status if job else "missing"}
    actor = db.session.get(User, job.created_by_id) if job.created_by_id else None
    proof_exports.run_proof_export(job, actor, db.session.commit, current_app.config["EXPORT_DIR"])
    job = db.session.get(ImportJob, job_id)
    return {"job_id": job_id, "status": job.status, "certificates": job.created_count}


@celery.task(name="records.sweep_proof_exports")
def sweep_proof_exports() -> int:
    """Run by beat; deleting a file twice is harmless, so overlapping runs need no lock."""
    config = current_app.config
    count = proof_exports.sweep_proof_exports(config["PROOF_EXPORT_HOURS"], config["EXPORT_DIR"])
    db.session.commit()
    return count
