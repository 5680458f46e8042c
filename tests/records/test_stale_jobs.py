"""Background jobs never hang: a job whose worker died stops sending heartbeats and the sweep fails
it (its half-written file removed, its page saying so); a 学时证明 export's progress moves while the
certificates are still being issued."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.accounts import jobs
from app.accounts.models import ImportJob
from app.accounts.tasks import sweep_stale_jobs_task
from app.core.clock import localtoday, utcnow
from app.core.models import AuditEntry
from app.extensions import db
from app.records import manual, proof_exports
from app.records.models import Certificate


@pytest.fixture
def world(create_user, org_tree):
    coordinator = create_user("coordinator", branch=org_tree["a"])
    members = [create_user(branch=org_tree["a1"], name=f"成员{i}") for i in range(3)]
    for member in members:
        manual.credit_manual_hours(member, Decimal("2"), "主题党日", coordinator)
    db.session.commit()
    return {"coordinator": coordinator, "members": members, "org": org_tree}


def _export_job(world, status: str) -> ImportJob:
    job = proof_exports.create_proof_export(
        world["org"]["a"], localtoday().year, world["coordinator"], "http://testserver"
    )
    job.status = status
    db.session.commit()
    return job


def _status(client, job) -> dict:
    response = client.get(f"/records/proof-exports/{job.id}?format=json")
    assert response.status_code == 200
    return response.get_json()["data"]


def test_a_job_without_heartbeat_is_failed_and_its_page_says_so(app, client, login, world, clock):
    stale_after = app.config["JOB_STALE_AFTER_SECONDS"]
    queued_after = app.config["JOB_QUEUED_STALE_AFTER_SECONDS"]
    running, queued = _export_job(world, "running"), _export_job(world, "pending")
    folder = Path(app.config["EXPORT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f"proofs-{running.id}-deadworker.part"
    part.write_bytes(b"PK half a zip")
    login(world["coordinator"])
    assert _status(client, running)["status"] == "running"

    clock.advance(stale_after - 60)
    assert sweep_stale_jobs_task.apply().get() == 0  # still within its time
    clock.advance(120)
    assert sweep_stale_jobs_task.apply().get() == 1  # the running one; the queued one may wait its turn
    data = _status(client, running)
    assert (data["status"], data["finished"]) == ("failed", True)
    assert data["message"] == "后台任务中断（处理进程可能已重启），请重新提交。"
    assert "后台任务中断" in client.get(f"/records/proof-exports/{running.id}").get_data(as_text=True)
    assert not part.exists()
    assert _status(client, queued)["status"] == "pending"

    clock.advance(queued_after - stale_after)  # queued for hours: nobody will pick it up
    assert sweep_stale_jobs_task.apply().get() == 1
    data = _status(client, queued)
    assert (data["status"], data["finished"]) == ("failed", True)
    assert data["message"] == "后台任务排队过久仍未开始（处理进程可能没有运行），请重新提交。"
    audited = db.session.scalars(
        sa.select(AuditEntry.target_id).where(AuditEntry.action == "job.stale_failed")
    ).all()
    assert sorted(audited) == sorted([running.id, queued.id])
    assert sweep_stale_jobs_task.apply().get() == 0  # failed once, not again


def test_a_job_with_a_fresh_heartbeat_is_left_alone(app, world, clock):
    job = _export_job(world, "running")
    clock.advance(app.config["JOB_STALE_AFTER_SECONDS"] - 60)
    db.session.execute(sa.update(ImportJob).where(ImportJob.id == job.id).values(**jobs.heartbeat_values()))
    db.session.commit()
    clock.advance(120)  # long after it started, but its worker was heard from a minute ago
    assert sweep_stale_jobs_task.apply().get() == 0
    db.session.refresh(job)
    assert job.status == "running"
    assert job.message is None


@pytest.mark.parametrize("status", ["done", "rejected", "failed", "expired"])
def test_a_finished_job_never_changes(app, world, clock, status):
    job = _export_job(world, status)
    job.message = "原来的结果"
    db.session.commit()
    clock.advance(app.config["JOB_STALE_AFTER_SECONDS"] * 10)
    assert sweep_stale_jobs_task.apply().get() == 0
    db.session.refresh(job)
    assert (job.status, job.message) == (status, "原来的结果")


def test_a_dead_member_imports_upload_is_removed(app, world, clock, tmp_path):
    upload = tmp_path / "members.csv"
    upload.write_text("姓名\n")
    job = ImportJob(created_by_id=world["coordinator"].id, filename="members.csv", stored_path=str(upload))
    job.status = "running"
    db.session.add(job)
    db.session.commit()
    clock.advance(app.config["JOB_STALE_AFTER_SECONDS"] + 1)
    assert sweep_stale_jobs_task.apply().get() == 1
    db.session.refresh(job)
    assert job.status == "failed"
    assert not upload.exists()


def test_an_export_stopped_by_the_sweep_leaves_no_file(app, world, clock, tmp_path):
    """The worker was slow, not dead: the sweep failed its job meanwhile; it stops at its next
    heartbeat instead of publishing a ZIP the page no longer offers."""
    job = _export_job(world, "pending")
    folder = str(tmp_path / "exports")

    def commit():
        db.session.commit()
        if db.session.scalar(sa.select(ImportJob.processed_rows).where(ImportJob.id == job.id)) > 0:
            clock.advance(app.config["JOB_STALE_AFTER_SECONDS"] + 1)
            jobs.sweep_stale_jobs(app.config["JOB_STALE_AFTER_SECONDS"])
            db.session.commit()

    proof_exports.run_proof_export(job, world["coordinator"], commit, folder)
    db.session.refresh(job)
    assert job.status == "failed"
    assert job.stored_path == ""
    assert not list(Path(folder).iterdir())


def test_an_export_failed_by_the_sweep_as_it_finishes_publishes_nothing(app, world, clock, tmp_path):
    """The sweep's verdict comes after the last page is rendered, before the job is marked done: the
    job stays failed (its page says to submit again) and the finished ZIP is not left behind."""
    job = _export_job(world, "pending")
    folder = app.config["EXPORT_DIR"]  # where the sweep looks for the part file it removes
    before = set(Path(folder).glob("proofs-*")) if Path(folder).is_dir() else set()

    def commit():
        db.session.commit()
        done, total = db.session.execute(
            sa.select(ImportJob.processed_rows, ImportJob.total_rows).where(ImportJob.id == job.id)
        ).one()
        if total and done == total:
            clock.advance(app.config["JOB_STALE_AFTER_SECONDS"] + 1)
            jobs.sweep_stale_jobs(app.config["JOB_STALE_AFTER_SECONDS"])
            db.session.commit()

    proof_exports.run_proof_export(job, world["coordinator"], commit, folder)  # no error: it stops
    db.session.refresh(job)
    assert (job.status, job.stored_path) == ("failed", "")
    assert set(Path(folder).glob("proofs-*")) == before


def test_a_message_delivered_again_after_its_worker_died_takes_the_export_over(app, world, clock, tmp_path):
    job = _export_job(world, "running")  # its worker died two minutes into the job: no heartbeat since
    clock.advance(proof_exports.TAKEOVER_AFTER_SECONDS + 1)
    proof_exports.run_proof_export(job, world["coordinator"], db.session.commit, str(tmp_path / "exports"))
    db.session.refresh(job)
    assert (job.status, job.created_count) == ("done", 3)
    assert Path(job.stored_path).is_file()


def test_a_message_delivered_again_while_the_export_runs_does_nothing(app, world, tmp_path):
    job = _export_job(world, "running")  # another worker has it
    folder = tmp_path / "exports"
    proof_exports.run_proof_export(job, world["coordinator"], db.session.commit, str(folder))
    db.session.refresh(job)
    assert (job.status, job.processed_rows, job.stored_path) == ("running", 0, "")
    assert not folder.exists() or not list(folder.iterdir())
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0


def test_the_progress_moves_while_certificates_are_issued(app, world, monkeypatch):
    monkeypatch.setattr(proof_exports.certificates, "ISSUE_BATCH", 1)
    job = _export_job(world, "pending")
    seen = []

    def commit():
        db.session.commit()
        row = db.session.execute(
            sa.select(ImportJob.processed_rows, ImportJob.total_rows, ImportJob.status).where(
                ImportJob.id == job.id
            )
        ).one()
        seen.append(row)

    proof_exports.run_proof_export(job, world["coordinator"], commit, app.config["EXPORT_DIR"])
    db.session.refresh(job)
    assert job.status == "done"
    assert job.created_count == 3
    issuing = [(done, total) for done, total, status in seen if status == "running" and total]
    # Issued one by one, then rendered: 3 of 6 once every certificate is issued, before any PDF.
    assert (1, 6) in issuing
    assert (3, 6) in issuing
    # and it never goes back, through both phases.
    running = [done for done, total, status in seen if status == "running"]
    assert running == sorted(running)
    assert job.percent == 100
    Path(job.stored_path).unlink()


@pytest.mark.integration
def test_a_long_import_holding_its_job_row_is_not_failed_on_postgresql(shared_app):
    """An import saves its rows and its progress in one open transaction: while that transaction
    lives (its worker alive), the sweep leaves the job alone; once it is gone (the worker died and
    the database rolled it back), the job is failed."""
    if not shared_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("row locks: PostgreSQL only (SQLite holds one writer for the whole file)")
    with shared_app.app_context():
        job = ImportJob(filename="members.xlsx", stored_path="", status="running")
        db.session.add(job)
        db.session.commit()
        job_id, stale = job.id, shared_app.config["JOB_STALE_AFTER_SECONDS"]
        later = utcnow() + timedelta(seconds=stale + 1)
        worker = db.engine.connect()
        transaction = worker.begin()
        worker.execute(sa.update(ImportJob).where(ImportJob.id == job_id).values(processed_rows=500))
        try:
            db.session.execute(sa.text("SET LOCAL lock_timeout = '5s'"))  # waiting would be the bug
            assert jobs.sweep_stale_jobs(stale, now=later) == []
            db.session.commit()
        finally:
            transaction.rollback()  # the worker is gone
            worker.close()
        assert jobs.sweep_stale_jobs(stale, now=later) == [job_id]
        db.session.commit()
        assert db.session.get(ImportJob, job_id).status == "failed"
