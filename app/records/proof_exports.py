"""A branch's 学时证明 as a ZIP, made in the background: one PDF per member of the subtree with hours
that year, written to disk by a worker while the coordinator's page shows the progress.

The job is the platform's one background-job row (:class:`~app.accounts.models.ImportJob`, of kind
``branch_proofs``: its status, progress and message are what every job page polls, through
:func:`app.core.imports.job_status`). ``params`` holds the branch, the year and the site root the
request came by (the worker has no request to build the verification links from). The finished
ZIP stays for ``PROOF_EXPORT_HOURS``; then the sweep deletes it and the job says so.

Progress counts both phases, issuing then rendering (``total_rows`` is twice the certificates), and
every progress update is the job's heartbeat (:mod:`app.accounts.jobs`): a worker that dies leaves a
job the stale sweep fails, and its ``.part`` file removed.
"""

import logging
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.accounts import jobs
from app.accounts.models import ImportJob, User
from app.core import audit
from app.core.clock import utcnow
from app.core.urls import absolute_url_at, site_url
from app.extensions import db
from app.org.models import Branch
from app.org.services import can_manage_branch
from app.records import certificate_pdf, certificates
from app.records.models import Certificate

logger = logging.getLogger(__name__)

KIND = "branch_proofs"
#: Certificates rendered per database read, and between two progress updates.
BATCH = 50
#: A running export whose heartbeat is older than this lost its worker (a batch of certificates
#: takes seconds): a delivery of its message takes it over rather than leave it to the stale sweep.
TAKEOVER_AFTER_SECONDS = 120


def create_proof_export(branch: Branch, year: int, actor: User, site_url: str) -> ImportJob:
    """Queue the ZIP of ``branch``'s 学时证明 of ``year`` for ``actor`` (who may manage the branch)."""
    job = ImportJob(
        kind=KIND,
        created_by_id=actor.id,
        filename=_("%(branch)s-%(year)s年学时证明.zip", branch=branch.name, year=year),
        stored_path="",
        status="pending",
        params={"branch_id": branch.id, "year": year, "site_url": site_url},
    )
    db.session.add(job)
    db.session.flush()
    audit.record(actor, "hours.branch_proofs_export", branch, f"生成 {branch.name} {year} 年学时证明压缩包")
    logger.info("%s queued the 学时证明 of branch %s, %s", actor.id, branch.id, year)
    return job


def recent_proof_exports(actor: User, branch: Branch, year: int, limit: int = 5) -> list[ImportJob]:
    jobs = ImportJob.recent_of(actor, KIND, limit=50)
    return [j for j in jobs if j.params.get("branch_id") == branch.id and j.params.get("year") == year][
        :limit
    ]


class _Abandoned(Exception):
    """The job stopped running under its worker (the stale sweep failed it): stop and clean up."""


def _beat(job_id: int, commit: Callable[[], None], **values) -> None:
    """Save progress and the heartbeat, while the job is still running."""
    changed = db.session.execute(
        sa.update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.status == "running")
        .values(heartbeat_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    commit()
    if not changed:
        raise _Abandoned


def _certificates(job_id: int, ids: list[int], commit: Callable[[], None]) -> Iterator[list[Certificate]]:
    issued = len(ids)  # the first half of the progress
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = db.session.scalars(sa.select(Certificate).where(Certificate.id.in_(chunk))).all()
        by_id = {c.id: c for c in rows}
        batch = [by_id[i] for i in chunk]
        yield batch
        for certificate in batch:  # rendered: let them go (the session's other objects stay, the actor's too)
            db.session.expunge(certificate)
        _beat(job_id, commit, processed_rows=issued + start + len(chunk))


def _partial_files(job_id: int, folder: str) -> list[Path]:
    return list(Path(folder).glob(f"proofs-{job_id}-*.part"))


def discard_partial(job: ImportJob) -> None:
    """A dead export's half-written ZIP (registered with the stale-job sweep)."""
    for path in _partial_files(job.id, current_app.config["EXPORT_DIR"]):
        path.unlink(missing_ok=True)


jobs.on_stale(KIND, discard_partial)


def _claim(job_id: int, commit: Callable[[], None]) -> bool:
    """Take the job: a queued one, or a running one whose worker has been silent for
    :data:`TAKEOVER_AFTER_SECONDS` (died; the broker handed its message on). One guarded UPDATE, so
    of two deliveries at once only one runs it."""
    now = utcnow()
    silent_since = now - timedelta(seconds=TAKEOVER_AFTER_SECONDS)
    last_sign = jobs.last_heard()
    claimed = db.session.execute(
        sa.update(ImportJob)
        .where(
            ImportJob.id == job_id,
            sa.or_(
                ImportJob.status == "pending",
                sa.and_(ImportJob.status == "running", last_sign < silent_since),
            ),
        )
        .values(status="running", heartbeat_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    commit()
    return bool(claimed)


def run_proof_export(job: ImportJob, actor: User | None, commit: Callable[[], None], folder: str) -> None:
    """Issue the certificates and write the ZIP under ``folder``, recording progress on ``job``.
    Safe to run twice: the job is taken only while queued or abandoned by a dead worker (a message
    delivered again while another worker runs it, or after it ended, does nothing); the file
    appears under its final name only when complete, and only while the job is still this
    worker's."""
    job_id, params = job.id, dict(job.params or {})
    if not _claim(job_id, commit):
        logger.info("proof export %s is running elsewhere or has ended: left alone", job_id)
        return
    branch = db.session.get(Branch, params.get("branch_id") or 0)
    year = params.get("year")
    if actor is None or branch is None or not can_manage_branch(actor, branch):
        _finish(job_id, "rejected", _("该组织已不在你的管理范围内，未生成压缩包。"), commit)
        return
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"proofs-{job_id}-{uuid.uuid4().hex}.zip"
    partial = path.with_suffix(".part")

    def issuing(done: int, members: int) -> None:
        _beat(job_id, commit, processed_rows=done, total_rows=2 * members)

    try:
        ids = certificates.branch_proofs(branch, year, actor, progress=issuing)
        _beat(job_id, commit, total_rows=2 * len(ids), processed_rows=len(ids))
        if not ids:
            _finish(
                job_id,
                "rejected",
                _("%(branch)s %(year)s 年没有成员取得学时。", branch=branch.name, year=year),
                commit,
            )
            return
        root = params.get("site_url") or site_url()

        def verify_url(serial: str) -> str:
            return absolute_url_at(root, "verify.verify", serial=serial)

        with partial.open("wb") as out:
            for chunk in certificate_pdf.stream_zip(_certificates(job_id, ids, commit), verify_url):
                out.write(chunk)
        try:
            partial.rename(path)  # published whole, never half-written
        except FileNotFoundError:  # the stale-job sweep failed the job and removed its part meanwhile
            raise _Abandoned from None
    except _Abandoned:
        logger.warning("proof export %s was failed by the stale-job sweep while running: stopped", job_id)
        db.session.rollback()
        partial.unlink(missing_ok=True)
        return
    except Exception:
        logger.exception("proof export %s failed", job_id)
        db.session.rollback()
        partial.unlink(missing_ok=True)
        _finish(job_id, "failed", _("生成压缩包时发生意外错误，请稍后重试或联系管理员。"), commit)
        raise
    done = {"stored_path": str(path), "created_count": len(ids), "processed_rows": 2 * len(ids)}
    if not _finish(job_id, "done", None, commit, **done):
        logger.warning(
            "proof export %s was failed by the stale-job sweep as it finished: ZIP removed", job_id
        )
        path.unlink(missing_ok=True)


def _finish(job_id: int, status: str, message: str | None, commit: Callable[[], None], **values) -> bool:
    """End the job unless something else already has (the stale sweep failed it): whether it did."""
    changed = db.session.execute(
        sa.update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.status.in_(("pending", "running")))
        .values(status=status, message=message, finished_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    commit()
    return bool(changed)


def expires_at(job: ImportJob, hours: int):
    return job.finished_at + timedelta(hours=hours) if job.finished_at else None


def sweep_proof_exports(hours: int, folder: str, now=None) -> int:
    """Delete the ZIPs finished more than ``hours`` ago and mark their jobs expired; how many. Files
    no job points to (a worker killed mid-write, a job run twice) go once they are as old."""
    cutoff = (now or utcnow()) - timedelta(hours=hours)
    _sweep_orphans(Path(folder), cutoff)
    jobs = db.session.scalars(
        sa.select(ImportJob).where(
            ImportJob.kind == KIND, ImportJob.status == "done", ImportJob.finished_at < cutoff
        )
    ).all()
    for job in jobs:
        if job.stored_path:
            Path(job.stored_path).unlink(missing_ok=True)
        job.status, job.stored_path = "expired", ""
        job.message = _("压缩包已过期删除，请重新生成。")
    db.session.flush()
    if jobs:
        logger.info("swept %s expired proof exports", len(jobs))
    return len(jobs)


def _sweep_orphans(folder: Path, cutoff) -> None:
    if not folder.is_dir():
        return
    kept = set(
        db.session.scalars(
            sa.select(ImportJob.stored_path).where(ImportJob.kind == KIND, ImportJob.status == "done")
        )
    )
    for path in folder.glob("proofs-*"):
        if str(path) not in kept and path.stat().st_mtime < cutoff.timestamp():
            path.unlink(missing_ok=True)
