"""Bad input from a browser or a script gets a clear 4xx in Chinese, never a 500."""

import re

import pytest

from app.core.models import AuditEntry
from app.qa.models import Question
from tests.helpers import config_set, count

BEYOND_64_BITS = 2**63  # one past the largest integer SQLite (and a PostgreSQL bigint) can hold


def test_an_id_too_big_for_the_database_is_not_found(client, login_as):
    login_as("member")
    for url in (f"/notices/{BEYOND_64_BITS}", f"/notifications/{2**70}", f"/kb/articles/{BEYOND_64_BITS}"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "页面不存在或已被删除" in response.get_data(as_text=True)
    response = client.get(f"/api/v1/courses/{BEYOND_64_BITS}")
    assert response.status_code == 404
    assert response.get_json()["success"] is False


def test_a_page_number_past_every_row_is_an_empty_page(client, login_as, create_branch):
    login_as("coordinator", branch=create_branch("公司党委"))
    huge = "9" * 30
    for url in ("/notices", "/notifications", "/kb/", "/qa/", "/quiz/contests", "/users", "/records/members"):
        response = client.get(url, query_string={"page": huge})
        assert response.status_code == 200, url
    response = client.get("/api/v1/notices", query_string={"page": huge})
    assert response.status_code == 200
    assert response.get_json()["data"]["notices"] == []


NUL_REFUSED = "提交的内容含有无效字符"


def test_a_nul_character_anywhere_in_the_input_is_refused_before_it_reaches_the_database(client, login_as):
    """PostgreSQL cannot store or even compare text holding NUL (0x00): every form field, query string
    and JSON body that reached a query with one was a 500 there (and stored garbage on SQLite)."""
    login_as("member")
    response = client.post("/qa/ask", data={"title": "如何计算\x00党龄？", "body": "请教"})
    assert response.status_code == 400
    assert NUL_REFUSED in response.get_data(as_text=True)
    assert count(Question) == 0
    for url in ("/kb/", "/search"):  # a search box too: one rule for every query string
        response = client.get(url, query_string={"q": "党\x00章"})
        assert response.status_code == 400
        assert NUL_REFUSED in response.get_data(as_text=True)
    response = client.post("/api/v1/duels", json={"invite": "E0001\x00"})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["message"].startswith(NUL_REFUSED)
    assert client.get("/qa/", query_string={"q": "党章"}).status_code == 200  # ordinary text is untouched


def test_a_number_too_big_for_the_database_in_a_query_string_is_ignored(client, login_as, create_branch):
    """``?tag=``, ``?category=``, ``?branch=`` (read with ``type=int``) past 2**63 reached a query SQLite
    cannot run: the list answered 500 instead of ignoring the unreadable filter."""
    login_as("coordinator", branch=create_branch("公司党委"))
    huge = str(BEYOND_64_BITS)
    for url, name in (("/qa/", "tag"), ("/kb/", "tag"), ("/kb/", "category"), ("/users", "branch")):
        response = client.get(url, query_string={name: huge})
        assert response.status_code == 200, (url, name)


@pytest.mark.parametrize(
    ("role", "url"),
    [
        (None, "/login"),
        ("member", "/account/password"),
        ("member", "/account/tokens"),
        ("member", "/qa/ask"),
        ("trainer", "/kb/articles/new"),
        ("trainer", "/quiz/bank/new"),
        ("trainer", "/quiz/manage/new"),
        ("coordinator", "/notices/new"),
        ("coordinator", "/kb/categories"),
        ("admin", "/users/new"),
        ("admin", "/org/branches/new"),
        ("admin", "/qa/experts"),
    ],
)
def test_a_json_body_posted_to_a_page_form_is_an_unfilled_form(client, login_as, create_branch, role, url):
    """Flask-WTF fills a page's form from a JSON body: a string or number body crashed building the
    form data, and {"title": 5} put a number where every field expects text. Both were a 500."""
    if role:
        login_as(role, branch=create_branch("公司党委"))
    before = count(AuditEntry)
    for body in ("x", 1, {"title": 5, "body": [], "name": {"x": 1}, "stem": 7, "identifier": 5}):
        response = client.post(url, json=body)
        assert response.status_code < 500, body
    assert count(AuditEntry) == before  # nothing was written


URL_FOR_OPTIONS = {"_method": "PUT", "_external": "1", "_anchor": "x", "_scheme": "javascript"}


def test_finding9_url_for_options_in_the_query_string_are_not_passed_on_to_links(
    app, client, login_as, create_user
):
    """The catalog's category links and every pagination link passed the whole query string to
    ``url_for``: ``?_method=PUT`` (a BuildError), ``?_scheme=`` and friends answered 500."""
    from courses import services as courses

    trainer = login_as("trainer", "member")
    for title in ("第一课", "第二课"):
        course = courses.create_course(courses.CourseData(title=title), trainer)
        chapter = courses.add_chapter(course, "一", trainer)
        courses.create_lesson(chapter, courses.LessonData("读", "article", body="正文"), trainer)
        courses.publish_course(course, trainer)
    from app.extensions import db

    db.session.commit()
    with config_set(app, ITEMS_PER_PAGE=1):
        response = client.get("/courses/", query_string=URL_FOR_OPTIONS | {"sort": "newest"})
    assert response.status_code == 200
    links = [
        link
        for link in re.findall(r'href="(/courses/\?[^"]*)"', response.get_data(as_text=True))
        if "page=" in link
    ]
    assert any("page=2" in link for link in links)  # the pagination was drawn
    assert any("category=history" in link for link in links)  # and the category links
    for link in links:
        assert "sort=newest" in link  # filters are kept
        assert not any(option in link for option in URL_FOR_OPTIONS), link


def test_finding9_a_query_argument_named_like_the_routes_own_is_not_passed_on(app):
    """``/courses/lessons/5?lesson_id=abc`` handed ``lesson_id`` to ``url_for`` twice: a TypeError."""
    from app.core.templating import url_for_page

    query = "lesson_id=abc&q=%E5%85%9A&_method=PUT&_external=1&" + "&".join(f"f{i}=1" for i in range(50))
    with app.test_request_context(f"/courses/lessons/5?{query}"):
        link = url_for_page(3)
    assert link.startswith("/courses/lessons/5?")
    assert "lesson_id" not in link
    assert "_method" not in link
    assert "page=3" in link
    assert "q=%E5%85%9A" in link
    assert link.count("=1") <= 20  # a query string of thousands of arguments is not copied


def test_finding9_per_page_is_capped_everywhere(app):
    """``?per_page=`` reached lists paginated from the request (the meetings list) uncapped."""
    import sqlalchemy as sa

    from app.accounts.models import User
    from app.core.pagination import paginate_rows
    from app.extensions import db

    assert app.config["MAX_PER_PAGE"] == 100
    with app.test_request_context("/records/meetings?per_page=1000000"):
        assert db.paginate(sa.select(User), error_out=False).per_page == 100
        assert db.paginate(sa.select(User), per_page=500, error_out=False).per_page == 100
        assert paginate_rows(sa.select(User.id), per_page=500).per_page == 100
        assert db.paginate(sa.select(User), per_page=30, error_out=False).per_page == 30


@pytest.mark.parametrize("depth", [33, 500, 100_000])
def test_finding9_json_nested_too_deep_is_refused_with_400(client, login_as, depth):
    """A JSON body nested 500 deep raised RecursionError (a 500) in the guard's walk, 100,000 deep in
    the parser itself."""
    login_as("member")
    body = "[" * depth + "]" * depth
    response = client.post("/api/v1/duels", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["message"] == "提交的 JSON 嵌套层数过多（最多 32 层）。"


def test_finding9_json_of_ordinary_depth_and_brackets_inside_strings_pass(client, login_as):
    login_as("member")
    body = '{"invite": "' + "[" * 100 + '\\"{{{"}'
    response = client.post("/api/v1/duels", data=body, content_type="application/json")
    assert response.status_code != 400 or "嵌套" not in response.get_data(as_text=True)
    assert response.status_code < 500


def test_review_a_body_of_escaped_quotes_is_read_in_one_pass(client, login_as):
    """Half a megabyte of ``\\"`` took the depth check (a regular expression) about forty minutes."""
    login_as("member")
    body = b'"' + b'\\"' * 256 * 1024
    response = client.post("/api/v1/lessons/1/progress", data=body, content_type="application/json")
    assert 400 <= response.status_code < 500


def test_review_a_json_body_over_two_megabytes_is_refused(client, login_as):
    login_as("member")
    body = b'{"x": "' + b"a" * (3 * 1024 * 1024) + b'"}'
    response = client.post("/api/v1/lessons/1/progress", data=body, content_type="application/json")
    assert response.status_code == 413
    assert "过大" in response.get_json()["errors"][0]["message"]


def test_finding_ids_are_ascii_digits_in_a_path_as_everywhere_else(client, login_as):
    """``<int:…>`` matched any Unicode digit and ``int()`` read them: ``/kb/articles/٣`` was article 3
    under a second address, while ``id_from`` (forms, JSON, spreadsheets) refuses the same text."""
    from app.extensions import db
    from app.kb import authoring as kb

    author = login_as("coordinator")
    article = kb.create_article(author, "党章学习", "正文", status="published")
    db.session.commit()
    arabic_indic = "".join(chr(0x0660 + int(d)) for d in str(article.id))
    fullwidth = "".join(chr(0xFF10 + int(d)) for d in str(article.id))
    assert client.get(f"/kb/articles/{article.id}").status_code == 200
    for text in (arabic_indic, fullwidth):
        assert client.get(f"/kb/articles/{text}").status_code == 404, text
