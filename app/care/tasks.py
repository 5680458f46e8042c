from app.care import services
from app.extensions import celery, db


@celery.task(name="care.remind_follow_ups")
def remind_follow_ups() -> int:
    sent = services.remind_follow_ups()
    db.session.commit()
    return sent
