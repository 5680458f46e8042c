"""``flask seed-demo``: a believable organisation, safe to run twice, whose demo logins all work.

The demo is seeded once for the module (``seeded``): seeding transcodes real media and takes about a
minute. After it, every column's first page shows content to each demo role."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from markupsafe import escape

from app.accounts.models import Role, User, UserRole
from app.core.clock import LOCAL_TZ, localnow, utcnow
from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.kb.models import Article, ArticleCategory
from app.org.models import Branch, BranchKind
from app.portal.models import Notice, NoticeRead
from app.portal.services import audience_query
from app.qa.models import Answer
from app.qa.models import Question as QaQuestion
from app.quiz.contests import contest_ranking_query
from app.quiz.models import Contest, QuestionKind
from app.quiz.models import Question as QuizQuestion
from app.voice.models import Survey
from app.works.models import Work
from courses.models import Course, CourseKind, Lesson, LessonKind
from media_pipeline.models import AssetStatus, MediaAsset
from tests.helpers import count


@pytest.fixture(scope="module")
def seeded(app, module_transaction):
    """The demo, seeded once for the whole module (seeding costs about a minute)."""
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def demo(seeded):
    db.session.expire_all()
    return seeded


def holders(role: Role) -> list[User]:
    return list(db.session.scalars(sa.select(User).join(UserRole).where(UserRole.role == role)))


def test_seed_demo_builds_the_organisation(demo):
    kinds = dict(db.session.execute(sa.select(Branch.kind, sa.func.count()).group_by(Branch.kind)).all())
    assert kinds == {BranchKind.COMMITTEE: 1, BranchKind.GENERAL_BRANCH: 3, BranchKind.BRANCH: 12}
    committee = db.session.scalars(sa.select(Branch).where(Branch.kind == BranchKind.COMMITTEE)).one()
    assert committee.name == "公司党委"
    for general in db.session.scalars(sa.select(Branch).where(Branch.kind == BranchKind.GENERAL_BRANCH)):
        assert general.parent_id == committee.id
        assert count(Branch, Branch.parent_id == general.id) == 4

    assert 280 <= count(User) <= 320
    assert len(holders(Role.TRAINER)) == 5
    assert len(holders(Role.ADMIN)) == 1
    coordinators = holders(Role.COORDINATOR)
    assert len(coordinators) == 3
    assert sorted(c.branch.kind for c in coordinators) == [BranchKind.GENERAL_BRANCH] * 3
    assert len({c.branch_id for c in coordinators}) == 3


def test_demo_members_look_real(demo):
    members = list(db.session.scalars(sa.select(User).where(User.employee_no.like("E%"))))
    assert len(members) > 250
    assert all(2 <= len(m.name) <= 3 for m in members)
    assert len({m.name for m in members}) > 200
    assert len({m.mobile for m in members}) == len(members)
    assert {m.category for m in members} >= {"full", "probationary", "activist"}
    assert all(m.branch.kind == BranchKind.BRANCH for m in members)


def test_seed_demo_prints_the_demo_logins(demo):
    assert f"密码均为 {DEMO_PASSWORD}" in demo
    for employee_no in ("admin", "C0001", "T0001", "M0001"):
        assert employee_no in demo


def test_seed_demo_twice_is_idempotent(demo, runner):
    users, branches = count(User), count(Branch)
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "新增 0 个账户" in result.output
    db.session.expire_all()
    assert (count(User), count(Branch)) == (users, branches)


@pytest.mark.parametrize(
    ("employee_no", "panel", "absent"),
    [
        ("admin", "admin-panel", None),
        ("C0001", "coordinator-panel", "admin-panel"),
        ("T0001", "trainer-panel", "coordinator-panel"),
        ("M0001", "member-panel", "trainer-panel"),
    ],
)
def test_each_demo_role_logs_in_and_sees_its_panel(demo, client, employee_no, panel, absent):
    response = client.post("/login", data={"identifier": employee_no, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert f'data-testid="{panel}"' in page
    if absent:
        assert f'data-testid="{absent}"' not in page


def test_demo_coordinator_sees_only_their_general_branch(demo, client):
    client.post("/login", data={"identifier": "C0001", "password": DEMO_PASSWORD})
    page = client.get("/org/branches").get_data(as_text=True)
    assert "机关第一党支部" in page
    assert "生产运行党支部" not in page
    members = client.get("/api/v1/branches").get_json()["data"]
    assert {b["name"] for b in members} == {
        "机关党总支",
        "机关第一党支部",
        "机关第二党支部",
        "财务审计党支部",
        "人力资源党支部",
    }


# --- every column alive ---------------------------------------------------------------------------

DEMO_ROLES = ["admin", "C0001", "T0001", "M0001"]


def _titles(model, column) -> list[str]:
    return list(db.session.scalars(sa.select(column)))


def _first_page(client, employee_no: str, url: str) -> str:
    client.post("/login", data={"identifier": employee_no, "password": DEMO_PASSWORD})
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _column_content(url: str) -> list[str]:
    """What the seed put in the column at ``url``: any of it on the first page counts."""
    flipped = db.session.scalar(sa.select(Course).where(Course.kind == CourseKind.FLIPPED))
    company_wide = Notice.branch_id.is_(None)
    return {
        "/kb/": _titles(Article, Article.title),
        "/qa/": _titles(QaQuestion, QaQuestion.title),
        "/notices": list(db.session.scalars(sa.select(Notice.title).where(company_wide))),
        "/quiz/contests": _titles(Contest, Contest.title),
        "/courses/": _titles(Course, Course.title),
        f"/courses/{flipped.id}": ["第一次课堂研讨"],
        "/works/": _titles(Work, Work.title),
        "/surveys/": _titles(Survey, Survey.title),
    }[url]


COLUMNS = ["/kb/", "/qa/", "/notices", "/quiz/contests", "/courses/", "flipped", "/works/", "/surveys/"]


@pytest.mark.parametrize("employee_no", DEMO_ROLES)
@pytest.mark.parametrize("column", COLUMNS)
def test_every_column_shows_demo_content_to_every_demo_role(demo, client, employee_no, column):
    if column == "flipped":
        column = (
            f"/courses/{db.session.scalar(sa.select(Course.id).where(Course.kind == CourseKind.FLIPPED))}"
        )
    content = _column_content(column)
    assert content, f"the seed put nothing in {column}"
    page = _first_page(client, employee_no, column)
    assert any(escape(text) in page for text in content), f"{employee_no} sees an empty {column}"


@pytest.mark.parametrize("employee_no", ["admin", "T0001"])
def test_question_bank_shows_demo_questions_to_trainers(demo, client, employee_no):
    page = _first_page(client, employee_no, "/quiz/bank")
    stems = _titles(QuizQuestion, QuizQuestion.stem)
    assert sum(escape(stem) in page for stem in stems) >= 10


def test_knowledge_base_has_five_columns_of_articles(demo):
    per_category = dict(
        db.session.execute(
            sa.select(ArticleCategory.name, sa.func.count(Article.id))
            .join(Article, Article.category_id == ArticleCategory.id)
            .where(Article.live_revision_number.is_not(None))
            .group_by(ArticleCategory.name)
        ).all()
    )
    assert set(per_category) == {"党章党规", "党史", "理论学习", "支部工作", "业务知识"}
    assert sum(per_category.values()) >= 30
    assert min(per_category.values()) >= 5
    bodies = _titles(Article, Article.body)
    assert all(body.count("\n\n") >= 3 for body in bodies), "every article has several paragraphs"


def test_qa_threads_have_accepted_answers(demo):
    solved = db.session.scalars(sa.select(QaQuestion).where(QaQuestion.is_solved.is_(True))).all()
    assert len(solved) >= 10
    accepted = db.session.scalars(sa.select(Answer.question_id).where(Answer.is_accepted.is_(True))).all()
    assert sorted(accepted) == sorted(q.id for q in solved)


def test_notices_have_receipts_some_read_some_not(demo):
    for notice in db.session.scalars(sa.select(Notice).where(Notice.requires_receipt.is_(True))):
        audience = count(User, User.id.in_(audience_query(notice).with_only_columns(User.id)))
        readers = count(NoticeRead, NoticeRead.notice_id == notice.id)
        assert 0 < readers < audience, notice.title


def test_question_bank_has_every_kind_with_explanations(demo):
    kinds = dict(
        db.session.execute(sa.select(QuizQuestion.kind, sa.func.count()).group_by(QuizQuestion.kind)).all()
    )
    assert set(kinds) == set(QuestionKind)
    assert sum(kinds.values()) >= 200
    assert count(QuizQuestion, QuizQuestion.explanation == "") == 0


def test_one_running_and_one_finished_contest_with_rankings(demo):
    now = utcnow()
    contests = db.session.scalars(sa.select(Contest)).all()
    assert sorted((c.is_open(now), c.is_closed(now)) for c in contests) == [(False, True), (True, False)]
    for contest in contests:
        ranking = db.session.scalars(contest_ranking_query(contest)).all()
        assert len(ranking) >= 20
        assert all(a.is_finished and contest.opens_at <= a.started_at < contest.closes_at for a in ranking)
        assert ranking[0].correct_count >= ranking[-1].correct_count
        assert len({a.user_id for a in ranking}) == len(ranking)


def test_flipped_class_meets_this_week(demo):
    flipped = db.session.scalar(sa.select(Course).where(Course.kind == CourseKind.FLIPPED))
    first = min(s.starts_at for s in flipped.sessions)
    now = localnow()
    assert first > utcnow()
    assert first.astimezone(LOCAL_TZ).isocalendar()[:2] == now.isocalendar()[:2]


def test_document_lesson_is_a_chinese_pdf(demo, app):
    lesson = db.session.scalar(sa.select(Lesson).where(Lesson.kind == LessonKind.DOCUMENT))
    path = Path(app.config["MEDIA_ROOT"]) / lesson.document_path
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "中国共产党章程学习提纲" in text


def _mean_volume(path: Path) -> float:
    """ffmpeg's volumedetect over the whole audio stream: -91 dB is digital silence."""
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-i", str(path), "-map", "0:a:0", "-af", "volumedetect",
         "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    return float(re.search(r"mean_volume: (-?[\d.]+) dB", result.stderr).group(1))


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="the narration needs espeak-ng (scripts/setup)")
@pytest.mark.parametrize("kind", [LessonKind.VIDEO, LessonKind.AUDIO])
def test_demo_lessons_are_narrated_not_silent(demo, app, kind):
    lessons = db.session.scalars(sa.select(Lesson).where(Lesson.kind == kind)).all()
    assert lessons
    for lesson in lessons:
        asset = db.session.get(MediaAsset, lesson.media_asset_id)
        assert asset.status == AssetStatus.READY
        assert asset.has_audio
        played = Path(app.config["MEDIA_ROOT"]) / asset.output_dir / asset.master_playlist
        assert _mean_volume(played) > -50, lesson.title  # speech: about -20 dB; a silent track: -91 dB


def test_demo_content_is_not_added_twice(demo, runner):
    tables = [Article, QaQuestion, Notice, QuizQuestion, Contest, Lesson, MediaAsset]
    before = [count(table) for table in tables]
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert [count(table) for table in tables] == before
