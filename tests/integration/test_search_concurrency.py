"""Four processes publish and edit content at once; one real search worker (Redis, concurrency 1)
keeps the index. When the queue has drained, the index must match the database exactly."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from app.accounts import services as account_services
from app.accounts.models import Role
from app.extensions import db
from app.org.services import create_branch
from search_index.engine import get_backend
from search_index.registry import adapters

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 4
ROUNDS = 8

#: One writer process: creates, edits, unpublishes, hides and deletes content through the
#: domains' services, committing after each step as the web views do.
WRITER = r"""
import sys
from decimal import Decimal

import sqlalchemy as sa

from app import create_app
from app.accounts.models import User
from app.extensions import db
from app.kb import services as kb
from app.kb import authoring
from app.org.models import Branch
from app.portal import services as portal
from app.qa import services as qa
from app.qa import moderation
from courses import services as courses

n = int(sys.argv[1])
app = create_app()
with app.app_context():
    def user(no):
        return db.session.scalars(sa.select(User).where(User.employee_no == no)).one()

    admin, coordinator, trainer, member = user("S-ADMIN"), user("S-COORD"), user("S-TRAIN"), user("S-MEMBER")
    branches = list(db.session.scalars(sa.select(Branch).order_by(Branch.id)))
    for r in range(ROUNDS):
        tag = f"写手{n}第{r}轮"
        article = authoring.create_article(
            coordinator, f"{tag}三会一课学习", f"{tag}：落实三会一课制度。", status="published"
        )
        db.session.commit()
        if r % 3 == 0:
            authoring.update_article(article, coordinator, body=f"{tag}：修订后的主题党日内容。")
            db.session.commit()
        if r % 4 == 1:
            authoring.unpublish_article(article, coordinator)
            db.session.commit()
        if r % 5 == 2:
            authoring.delete_article(article, coordinator)
            db.session.commit()

        branch = branches[(n + r) % len(branches)]
        data = portal.NoticeData(
            kind="notice", title=f"{tag}党员大会通知", body="全体党员参加。", branch_id=branch.id
        )
        notice = portal.create_notice(data, admin, publish=True)
        db.session.commit()
        if r % 3 == 1:
            portal.withdraw_notice(notice, admin)
            db.session.commit()

        question = qa.ask_question(member, f"{tag}如何开好组织生活会", "请教。")
        db.session.commit()
        qa.answer_question(question, trainer, f"{tag}：会前谈心谈话。")
        db.session.commit()
        if r % 4 == 3:
            moderation.hide_content(question, admin, "测试隐藏")
            db.session.commit()

        data = courses.CourseData(title=f"{tag}党史课", credit_hours=Decimal("1"))
        course = courses.create_course(data, trainer)
        chapter = courses.add_chapter(course, "第一章", trainer)
        lesson = courses.LessonData(title=f"{tag}党史课时", kind="article", body="党史", estimated_minutes=5)
        courses.create_lesson(chapter, lesson, trainer)
        db.session.commit()
        if r % 2 == 0:
            courses.publish_course(course, trainer)
            db.session.commit()
        if r % 4 == 0:
            courses.archive_course(course, trainer)
            db.session.commit()
print("done", n)
""".replace("ROUNDS", str(ROUNDS))


def _expected() -> dict[str, str]:
    """``key → stamp`` of every row the adapters say is searchable, straight from the database."""
    expected = {}
    for adapter in adapters():
        ids = list(db.session.scalars(sa.select(adapter.model.id)))
        documents, _ = adapter.documents(ids)
        expected.update({d.key: d.stamp for d in documents})
    db.session.rollback()
    return expected


def _indexed() -> dict[str, str]:
    backend = get_backend()
    return {f"{a.type}:{i}": stamp for a in adapters() for i, stamp in backend.stamps(a.type).items()}


def test_four_writers_and_one_search_worker_leave_the_index_exact(
    live_app, live_env, celery_worker, redis_url, tmp_path
):
    root = create_branch("公司党委", "committee", None, actor=None)
    create_branch("第一党支部", "branch", root, actor=None)
    create_branch("第二党支部", "branch", root, actor=None)
    for no, role in [
        ("S-ADMIN", Role.ADMIN),
        ("S-COORD", Role.COORDINATOR),
        ("S-TRAIN", Role.TRAINER),
        ("S-MEMBER", Role.MEMBER),
    ]:
        data = account_services.UserData(employee_no=no, name=no, mobile=None, branch_id=root.id)
        account_services.create_user(data, [role], actor=None, password="Passw0rd-test")
    db.session.commit()
    worker = celery_worker(queues="search")

    logs = [tmp_path / f"writer{n}.log" for n in range(WRITERS)]
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(n)],
            cwd=ROOT,
            env=live_env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        for n, log in enumerate(logs)
    ]
    for process in writers:
        process.wait(timeout=600)
    outputs = [log.read_text() for log in logs]
    assert [p.returncode for p in writers] == [0] * WRITERS, "\n".join(outputs)
    assert not any("Traceback" in out or "ERROR" in out for out in outputs), "\n".join(outputs)

    queue = redis.Redis.from_url(redis_url)
    expected = _expected()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if queue.llen("search") == 0 and _indexed() == expected:
            break
        time.sleep(0.5)

    indexed = _indexed()
    assert queue.llen("search") == 0
    assert set(indexed) == set(expected), (
        sorted(set(expected) - set(indexed)),
        sorted(set(indexed) - set(expected)),
    )
    assert indexed == expected
    assert len(expected) > WRITERS * ROUNDS  # the test wrote real content, some of it removed again
    log = worker.log()
    assert "search_index.apply_changes" in log
    assert "succeeded" in log
    for trouble in ("Traceback", "LockError", " ERROR"):
        assert trouble not in log, log
