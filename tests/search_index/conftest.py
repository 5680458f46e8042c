"""Search fixtures: a fresh index per test, users in the branch tree, and content made through the
domains' own services (committed, so the indexing hooks run as in production: eagerly here)."""

from decimal import Decimal

import pytest

from app.accounts.models import Role
from app.extensions import db
from app.kb import authoring as kb_authoring
from app.org.services import scope_path
from app.portal import services as portal_services
from app.qa import services as qa_services
from courses import services as course_services
from search_index import services as search_services
from search_index.engine import get_backend


@pytest.fixture(autouse=True, params=["whoosh", "postgresql"])
def fresh_index(request, app, tmp_path):
    """Every test runs on both backends (``SEARCH_BACKEND``), each with an empty index: a fresh
    folder for Whoosh; for PostgreSQL the tables are emptied by the test's rolled-back
    transaction. The PostgreSQL variant needs the run's DATABASE_URL to be PostgreSQL."""
    if request.param == "postgresql" and not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the PostgreSQL search backend needs DATABASE_URL=postgresql…")
    saved = app.config["SEARCH_INDEX_DIR"], app.config["SEARCH_BACKEND"]
    app.config["SEARCH_INDEX_DIR"] = str(tmp_path / "search")
    app.config["SEARCH_BACKEND"] = request.param
    backend = get_backend()
    saved_budget = backend.time_budget
    yield tmp_path / "search"
    backend.time_budget = saved_budget
    get_backend().close()
    app.config["SEARCH_INDEX_DIR"], app.config["SEARCH_BACKEND"] = saved


@pytest.fixture
def whoosh_only(app):
    if app.config["SEARCH_BACKEND"] != "whoosh":
        pytest.skip("Whoosh's single writer only")


@pytest.fixture
def postgresql_only(app):
    if app.config["SEARCH_BACKEND"] != "postgresql":
        pytest.skip("the PostgreSQL backend only")


@pytest.fixture
def people(create_user, org_tree):
    return {
        "admin": create_user(Role.ADMIN, name="管理员"),
        "coordinator": create_user(Role.COORDINATOR, branch=org_tree["root"], name="组织员"),
        "coordinator_a": create_user(Role.COORDINATOR, branch=org_tree["a"], name="机关组织员"),
        "trainer": create_user(Role.TRAINER, branch=org_tree["a1"], name="讲师"),
        "member_a1": create_user(Role.MEMBER, branch=org_tree["a1"], name="机关党员"),
        "member_b1": create_user(Role.MEMBER, branch=org_tree["b1"], name="生产党员"),
        "member_b": create_user(Role.MEMBER, branch=org_tree["b"], name="总支党员"),
    }


def find(user, text, type_=None, page=1, per_page=None):
    """What ``user`` gets for ``text``: the same call as the page and the API."""
    viewer = search_services.viewer_for(user, scope_path(user))
    return search_services.search(viewer, text, type_, page, per_page)


def titles(result) -> list[str]:
    return [str(r.title.striptags()) for r in result.results]


@pytest.fixture
def article(people):
    """``article(title, body, publish=True, author=coordinator)`` → a committed article."""

    def make(title, body="正文", publish=True, author=None, tags=()):
        item = kb_authoring.create_article(
            author or people["coordinator"],
            title,
            body,
            tags=tags,
            status="published" if publish else "draft",
        )
        db.session.commit()
        return item

    return make


@pytest.fixture
def notice(people):
    def make(title, body="请各支部按时参加。", branch=None, publish=True, author=None):
        data = portal_services.NoticeData(
            kind="notice", title=title, body=body, branch_id=branch.id if branch else None
        )
        item = portal_services.create_notice(data, author or people["admin"], publish=publish)
        db.session.commit()
        return item

    return make


@pytest.fixture
def question(people):
    def make(title, body="", author=None, private=False):
        item = qa_services.ask_question(author or people["member_a1"], title, body, is_private=private)
        db.session.commit()
        return item

    return make


@pytest.fixture
def course(people):
    """``course(title, lessons=[(title, body)], publish=True)`` → a committed course with article lessons."""

    def make(title, summary="", lessons=(("第一课", "课时正文"),), publish=True):
        trainer = people["trainer"]
        item = course_services.create_course(
            course_services.CourseData(title=title, summary=summary, credit_hours=Decimal("1.00")), trainer
        )
        chapter = course_services.add_chapter(item, "第一章", trainer)
        for lesson_title, body in lessons:
            course_services.create_lesson(
                chapter,
                course_services.LessonData(
                    title=lesson_title, kind="article", body=body, estimated_minutes=5
                ),
                trainer,
            )
        if publish:
            course_services.publish_course(item, trainer)
        db.session.commit()
        return item

    return make
