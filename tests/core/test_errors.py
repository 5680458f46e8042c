"""Error pages: friendly Chinese HTML for people, JSON for /api/, never a stack trace."""

import io
import logging

import pytest
import sqlalchemy as sa
from flask import abort, request
from flask_babel import gettext as _

from app.core.errors import DomainError, back_to
from app.extensions import db
from app.kb.models import Tag
from tests.helpers import add_test_route, config_set, count


def boom():
    raise RuntimeError("secret internal detail")


def broken_query():
    db.session.execute(sa.text("SELECT * FROM no_such_table"))


def teapot():
    abort(418)


@pytest.fixture
def failing_routes(app):
    add_test_route(app, "/_test/boom", "_test_boom", boom)
    add_test_route(app, "/_test/broken-query", "_test_broken_query", broken_query)
    add_test_route(app, "/_test/teapot", "_test_teapot", teapot)
    add_test_route(app, "/api/v1/_test/boom", "api._test_boom", boom)


def assert_friendly_page(response, status: int, text: str):
    assert response.status_code == status
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert 'lang="zh-CN"' in page
    assert text in page
    assert "返回首页" in page
    assert "Traceback" not in page
    return page


def test_404_page_is_friendly(client):
    assert_friendly_page(client.get("/no/such/page"), 404, "页面不存在或已被删除")


def test_403_page_is_friendly(client, login_as):
    login_as("member")
    page = assert_friendly_page(client.get("/admin/audit"), 403, "您没有权限访问此页面")
    assert 'data-testid="user-menu"' in page  # the signed-in navigation is still there


def test_405_page_is_friendly(client):
    assert_friendly_page(client.delete("/login"), 405, "不支持该请求方法")


def test_too_large_upload_is_a_413_page(client, login_as, app):
    login_as("admin")
    with config_set(app, MAX_CONTENT_LENGTH=1024):
        response = client.post("/users/import", data={"file": (io.BytesIO(b"x" * 4096), "big.csv")})
    assert_friendly_page(response, 413, "上传的文件太大")


def test_api_errors_are_json(client, login_as):
    for url, status in (("/api/v1/nothing-here", 404), ("/api/v1/me", 401)):
        response = client.get(url)
        assert response.status_code == status
        assert response.get_json()["success"] is False
    login_as("member")
    response = client.get("/api/v1/branches")
    assert response.status_code == 403
    assert response.get_json() == {
        "success": False,
        "errors": [{"message": "只有组织员和管理员可以查看组织列表。"}],
    }


def test_json_clients_get_json_errors_outside_the_api_too(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json() == {"success": False, "errors": [{"message": "页面不存在或已被删除。"}]}


@pytest.mark.usefixtures("failing_routes")
def test_unexpected_exception_is_a_500_page_without_the_stack_trace(client, login_as, caplog):
    login_as("member", name="张三")
    with caplog.at_level(logging.ERROR, logger="app.core.errors"):
        response = client.get("/_test/boom")
    page = assert_friendly_page(response, 500, "服务器出错了")
    assert "secret internal detail" not in page
    assert "RuntimeError" not in page
    assert "张三" in page
    assert "unhandled error on GET /_test/boom" in caplog.text  # logged for the operators


@pytest.mark.usefixtures("failing_routes")
def test_failed_query_is_a_500_page_and_the_next_request_works(client, login_as):
    login_as("member", name="李四")
    page = assert_friendly_page(client.get("/_test/broken-query"), 500, "服务器出错了")
    assert "no_such_table" not in page
    assert "李四" in page
    assert client.get("/").status_code == 200


@pytest.mark.usefixtures("failing_routes")
def test_unexpected_exception_in_the_api_is_json(client, login_as):
    login_as("member")
    response = client.get("/api/v1/_test/boom")
    assert response.status_code == 500
    body = response.get_json()
    assert body["success"] is False
    assert "secret internal detail" not in response.get_data(as_text=True)
    assert body["errors"][0]["message"].startswith("服务器出错了")


@pytest.mark.usefixtures("failing_routes")
def test_unusual_http_errors_get_the_generic_page(client):
    response = client.get("/_test/teapot")
    assert response.status_code == 418
    assert "Traceback" not in response.get_data(as_text=True)
    assert "返回首页" in response.get_data(as_text=True)


# --- one error vocabulary (issue 13, item 4) ------------------------------------------------------


def _every_domain_error():
    from app.accounts.importing import ImportFileError as MemberImportError
    from app.accounts.services import AccountError, LoginRefused, TokenRefused
    from app.api import ApiError
    from app.core.spreadsheets import SpreadsheetError
    from app.kb.services import KbError
    from app.org.services import BranchError
    from app.portal.services import NoticeError
    from app.qa.services import QaError
    from app.quiz.bank import GrantError, QuestionError
    from app.quiz.contests import ContestError
    from app.quiz.grading import AnswerError
    from app.quiz.importers import ImportFileError as QuestionImportError
    from app.quiz.play import LateAnswer, PlayError
    from app.quiz.quizzes import QuizError
    from media_pipeline.probe import MediaInputError
    from media_pipeline.services import UploadError

    return [
        AccountError, LoginRefused, TokenRefused, MemberImportError, ApiError, SpreadsheetError, KbError,
        BranchError, NoticeError, QaError, GrantError, QuestionError, ContestError, AnswerError,
        QuestionImportError, PlayError, LateAnswer, QuizError, MediaInputError, UploadError,
    ]  # fmt: skip


def test_one_error_vocabulary_every_domain_error_has_the_same_shape(app):
    for cls in _every_domain_error():
        assert issubclass(cls, DomainError), cls
        assert 400 <= cls.status < 500, cls  # a refusal, never status=200
        with app.test_request_context():
            exc = cls(_("提交的数据有误。"), 409, "title")
        assert (str(exc), exc.status, exc.field) == ("提交的数据有误。", 409, "title"), cls
        assert cls("x").field is None


def refuse_on_a_page():
    db.session.add(Tag(name="半途"))
    db.session.flush()
    raise DomainError(_("提交的数据有误。"), status=409, field="title")


def refuse_and_go_back():
    db.session.add(Tag(name="半途"))
    db.session.flush()
    with back_to("/kb/", category="warning"):
        raise DomainError(_("提交的数据有误。"))


@pytest.fixture
def refusing_routes(app):
    add_test_route(app, "/_test/refuse", "_test_refuse", refuse_on_a_page, methods=("GET", "POST"))
    add_test_route(app, "/_test/refuse-back", "_test_refuse_back", refuse_and_go_back, methods=("POST",))
    add_test_route(app, "/api/v1/_test/refuse", "api._test_refuse", refuse_on_a_page, methods=("POST",))


@pytest.mark.usefixtures("refusing_routes")
def test_one_error_vocabulary_a_refusal_is_the_api_envelope_with_its_status_and_field(client, login_as):
    login_as("member")
    for response in (
        client.post("/api/v1/_test/refuse"),
        client.post("/_test/refuse", headers={"Accept": "application/json"}),
    ):
        assert response.status_code == 409
        assert response.get_json() == {
            "success": False,
            "errors": [{"message": "提交的数据有误。", "field": "title"}],
        }
    assert count(Tag) == 0  # nothing half-written


@pytest.mark.usefixtures("refusing_routes")
def test_one_error_vocabulary_a_refusal_on_a_page_is_the_error_page_or_a_flash_back(client, login_as):
    login_as("member")
    assert_friendly_page(client.get("/_test/refuse"), 409, "提交的数据有误。")
    response = client.post("/_test/refuse-back")
    assert response.status_code == 302
    assert response.location.endswith("/kb/")
    assert "提交的数据有误。" in client.get("/kb/").get_data(as_text=True)
    assert count(Tag) == 0


def nul_in_json():
    request.get_json()


@pytest.fixture
def json_route(app):
    add_test_route(app, "/api/v1/_test/json", "api._test_json", nul_in_json, methods=("POST",))


@pytest.mark.usefixtures("json_route")
def test_one_error_vocabulary_an_api_caller_without_a_saved_language_reads_english(client, create_user):
    from app.accounts import services as account_services

    user = create_user("member")
    _token, plain = account_services.issue_api_token(user, "接口", actor=user)
    db.session.commit()
    assert user.locale is None
    headers = {"Authorization": f"Bearer {plain}", "Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"}
    response = client.post("/api/v1/_test/json", json={"text": "a\x00b"}, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["message"].startswith("The submission contains an invalid")
    # A saved preference wins over the header.
    user.locale = "zh"
    db.session.commit()
    response = client.post("/api/v1/_test/json", json={"text": "a\x00b"}, headers=headers)
    assert response.get_json()["errors"][0]["message"].startswith("提交的内容含有无效字符")
