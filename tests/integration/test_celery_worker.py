"""A real Celery worker over Redis runs the member import against a shared database."""

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from app.accounts.importing import COLUMNS, create_import_job
from app.accounts.models import ImportJob, User
from app.accounts.tasks import import_members_task
from app.extensions import db
from app.org.services import create_branch
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration


def test_worker_imports_members_and_reports_progress(live_app, celery_worker, tmp_path):
    root = create_branch("公司党委", "committee", None, actor=None)
    create_branch("第一党支部", "branch", root, actor=None)
    db.session.commit()
    wb = Workbook()
    wb.active.append(COLUMNS)
    for i in range(120):
        wb.active.append(
            [f"W{i:04d}", f"成员{i}", f"1370000{i:04d}", "公司党委/第一党支部", "女", "正式党员", "", "党员"]
        )
    path = tmp_path / "members.xlsx"
    wb.save(path)
    with path.open("rb") as stream:
        job_id = create_import_job(stream, "members.xlsx", None, live_app.config["IMPORT_DIR"]).id
    db.session.commit()

    worker = celery_worker()
    result = import_members_task.delay(job_id)

    assert result.get(timeout=60)["status"] == "done", worker.log()
    assert wait_for(lambda: db.session.get(ImportJob, job_id).status == "done"), worker.log()
    job = db.session.get(ImportJob, job_id)
    assert (job.created_count, job.updated_count, job.percent) == (120, 0, 100)
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.employee_no.like("W%"))) == 120
