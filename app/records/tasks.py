"""Background work of records: sending xAPI statements to the learning record store."""

from flask import current_app

from app.extensions import celery, db
from app.records import lrs


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
