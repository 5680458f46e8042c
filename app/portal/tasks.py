"""Background work of the portal: thin wrappers that take ids and call services."""

from app.extensions import celery, db
from app.portal import health, notifications


@celery.task(name="portal.heartbeat", bind=True, ignore_result=True)
def heartbeat_task(self) -> None:
    """Periodic: record that the worker running it is alive (the admin's health panel reads it)."""
    health.record_heartbeat(self.request.hostname or "eager")
    db.session.commit()


@celery.task(name="portal.deliver_notifications", acks_late=True)
def deliver_notifications(notification_ids: list[int]) -> int:
    """Pass committed notifications on through the site's external channels (SMS, e-mail)."""
    return notifications.deliver(notification_ids)


@celery.task(name="portal.purge_read_notifications")
def purge_read_notifications_task() -> int:
    from flask import current_app

    count = notifications.purge_read_notifications(current_app.config["NOTIFICATION_RETENTION_DAYS"])
    db.session.commit()
    return count


@celery.task(name="portal.verify_ledgers")
def verify_ledgers_task() -> list[dict]:
    """Nightly: verify the 学时 and points ledgers; a failure raises the admin alert (see integrity)."""
    from app.portal import integrity

    outcomes = integrity.verify_ledgers()
    db.session.commit()
    return [{"name": o.name, "ok": o.ok, "problems": o.problem_count} for o in outcomes]
