"""Background work: question-bank imports, and periodic upkeep (rooms nobody polls any more still
end, abandoned papers still get graded)."""

import logging

import sqlalchemy as sa

from app.accounts.models import ImportJob, User
from app.extensions import celery, db
from app.quiz import contests, duels, importers, play
from app.quiz.models import Duel

logger = logging.getLogger(__name__)


@celery.task(name="quiz.sweep")
def sweep() -> dict:
    """Advance every live duel by the server clock and end overdue daily quizzes and contests.

    Idempotent: each room is advanced under its own row lock and committed on its own, so a sweep
    running beside players' polls (or beside another sweep) changes nothing twice.
    """
    ended = 0
    for duel_id in db.session.scalars(sa.select(Duel.id).where(Duel.status.in_(duels.LIVE))).all():
        duel = duels.locked(duel_id)
        if duel is not None:
            before = duel.status
            duels.advance(duel, play.now())
            ended += duel.status != before
        db.session.commit()
    attempts = contests.finish_overdue_attempts()
    db.session.commit()
    if ended or attempts:
        logger.info("quiz sweep: %s rooms ended, %s overdue attempts finished", ended, attempts)
    return {"duels_ended": ended, "attempts_finished": attempts}


@celery.task(name="quiz.import_questions", acks_late=True)
def import_questions_task(job_id: int) -> dict:
    job = db.session.get(ImportJob, job_id)
    if job is None or job.kind != "questions" or job.is_finished:  # redelivered after it finished
        return {"job_id": job_id, "status": job.status if job else "missing"}
    actor = db.session.get(User, job.created_by_id) if job.created_by_id else None
    importers.run_import_job(job, actor, commit=db.session.commit)
    return {"job_id": job_id, "status": job.status, "imported": job.created_count}
