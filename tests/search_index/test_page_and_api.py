"""The /search page and GET /api/v1/search: shapes, filters, paging, suggestions, bad input."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from search_index.engine import get_backend


@pytest.fixture
def content(people, article, notice, course, question):
    article("企业党建工作信息化建设", "推进企业党建工作信息化建设。")
    article('<script>alert("x")</script>党建论文', "党建 <b>加粗</b> 正文")
    notice("党建工作会议通知", "全公司党建工作会议。")
    course("党建引领业务发展", "党建与业务深度融合。")
    question("支部党建台账怎么建立", "请教党建台账格式。")


def test_the_api_answers_in_the_documented_shape(client, login, people, content):
    login(people["member_b1"])
    body = client.get("/api/v1/search", query_string={"q": "党建"}).get_json()

    assert body["success"] is True
    data = body["data"]
    assert data["total"] == 5
    assert {r["type"] for r in data["results"]} == {"article", "notice", "course", "question"}
    first = data["results"][0]
    assert set(first) == {"type", "id", "title", "url", "snippet"}
    assert all(r["url"].startswith("/") for r in data["results"])
    # Highlighting is HTML with the user's text escaped.
    assert any("<mark>党建</mark>" in r["title"] for r in data["results"])
    assert not any("<script>" in r["title"] or "<b>" in r["snippet"] for r in data["results"])


def test_the_api_filters_by_type_and_pages(client, login, people, content, article):
    for i in range(11):
        article(f"党建专题第{i}讲", "党建")
    login(people["member_b1"])

    data = client.get("/api/v1/search?q=党建&type=article").get_json()["data"]
    assert data["total"] == 13
    assert len(data["results"]) == 10
    assert data["pages"] == 2
    assert {r["type"] for r in data["results"]} == {"article"}
    second = client.get("/api/v1/search?q=党建&type=article&page=2").get_json()["data"]
    assert len(second["results"]) == 3
    ids = {r["id"] for r in data["results"]} | {r["id"] for r in second["results"]}
    assert len(ids) == 13


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"q": "党建", "type": "nonsense"}, 422),
        ({"q": "党建", "page": "0"}, 422),
        ({"q": "党建", "page": "abc"}, 422),
        ({"q": "党建", "page": "²"}, 422),  # a digit to str.isdigit, not to int(): was a 500
        ({"q": "党建", "page": "9" * 5000}, 422),  # more digits than int() reads: was a 500
    ],
)
def test_the_api_refuses_bad_parameters_with_a_message(client, login, people, query, status):
    login(people["member_b1"])
    response = client.get("/api/v1/search", query_string=query)
    assert response.status_code == status
    assert response.get_json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "text",
    ["", "   ", "党" * 5000, '"unclosed', "title:党建* AND [a TO b] ((( ^3 ~2", "-", "OR OR"],
)
def test_any_query_is_answered_without_an_error(client, login, people, content, text):
    login(people["member_b1"])
    api = client.get("/api/v1/search", query_string={"q": text})
    assert api.status_code == 200
    assert api.get_json()["data"]["total"] >= 0
    page = client.get("/search", query_string={"q": text})
    assert page.status_code == 200


def test_an_overlong_query_is_cut_and_says_so(client, login, people, content):
    login(people["member_b1"])
    data = client.get("/api/v1/search", query_string={"q": "党建" * 300}).get_json()["data"]
    assert data["truncated"] is True
    html = client.get("/search", query_string={"q": "党建" * 300}).get_data(as_text=True)
    assert "只用了前面的部分" in html


def test_did_you_mean_when_nothing_matches(client, login, people, content):
    login(people["member_b1"])
    data = client.get("/api/v1/search", query_string={"q": "党健"}).get_json()["data"]
    assert data["total"] == 0
    assert data["suggestion"] == "党建"
    html = client.get("/search", query_string={"q": "党健"}).get_data(as_text=True)
    assert 'data-testid="search-suggestion"' in html
    assert "党建" in html


def test_a_suggestion_never_reveals_a_word_the_viewer_cannot_find(client, login, people, notice, org_tree):
    notice("机关专用保密词汇甲乙丙", "保密词汇", branch=org_tree["a1"], author=people["coordinator"])
    login(people["member_b1"])
    data = client.get("/api/v1/search", query_string={"q": "保蜜词汇"}).get_json()["data"]
    assert data["total"] == 0
    assert data["suggestion"] is None


def test_the_page_shows_highlighted_escaped_results_and_filters(client, login, people, content):
    login(people["member_b1"])
    html = client.get("/search", query_string={"q": "党建"}).get_data(as_text=True)

    assert 'data-testid="search-results"' in html
    assert "<mark>党建</mark>" in html
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;" in html
    assert "找到 5 条结果" in html
    only = client.get("/search", query_string={"q": "党建", "type": "notice"}).get_data(as_text=True)
    assert "找到 1 条结果" in only


def test_the_page_without_a_query_invites_one_and_requires_login(client, login, people):
    assert client.get("/search").status_code == 302
    assert client.get("/api/v1/search?q=x").status_code == 401
    login(people["member_b1"])
    html = client.get("/search").get_data(as_text=True)
    assert "输入要找的内容" in html
    assert 'data-testid="nav-search"' in html


def test_a_broken_index_is_reported_not_a_500(app, client, login, people, content, fresh_index):
    if app.config["SEARCH_BACKEND"] == "postgresql":  # the table is gone (a failed migration, say)
        db.session.execute(sa.text("ALTER TABLE search_document RENAME TO search_document_gone"))
    for segment in fresh_index.glob("gen-*/*.seg"):
        segment.write_bytes(b"garbage")
    for toc in fresh_index.glob("gen-*/*.toc"):
        toc.write_bytes(b"garbage")
    get_backend().close()
    login(people["member_b1"])
    page = client.get("/search", query_string={"q": "党建"})
    assert page.status_code == 200
    assert "搜索暂时不可用" in page.get_data(as_text=True)
    assert client.get("/api/v1/search", query_string={"q": "党建"}).status_code == 503
