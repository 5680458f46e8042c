"""``/api/v1/articles``: what content-import scripts rely on, including refusing bad input cleanly."""

import io

import pytest

from app.extensions import db
from app.kb import authoring, files, services
from app.kb.models import Article, ArticleRevision, Tag
from tests.helpers import count


@pytest.fixture
def admin(create_user):
    return create_user("admin", name="管理员")


@pytest.fixture
def trainer(org_tree, create_user):
    return create_user("trainer", branch=org_tree["a1"], name="王讲师")


def test_admin_imports_a_published_article(api_as, admin, create_user):
    category = services.create_category("党史", None, admin)
    db.session.commit()
    response = api_as(admin).post(
        "/api/v1/articles",
        json={
            "title": "遵义会议",
            "body": "1935 年 1 月，**遵义会议**召开。",
            "category": "党史",
            "tags": ["党史", "长征"],
            "status": "published",
        },
    )
    assert response.status_code == 201
    data = response.get_json()["data"]
    assert data["status"] == "published"
    assert data["url"].endswith(f"/kb/articles/{data['id']}")

    reader = api_as(create_user("member"))
    body = reader.get(f"/api/v1/articles/{data['id']}").get_json()["data"]
    assert body["title"] == "遵义会议"
    assert body["category"] == {"id": category.id, "name": "党史"}
    assert body["tags"] == ["党史", "长征"]
    assert "<strong>遵义会议</strong>" in body["html"]
    assert "status" not in body  # editorial details are for editors
    assert [a["id"] for a in reader.get("/api/v1/articles").get_json()["data"]["articles"]] == [data["id"]]


def test_a_trainer_asking_to_publish_gets_review(api_as, trainer):
    response = api_as(trainer).post(
        "/api/v1/articles", json={"title": "讲稿", "body": "正文", "status": "published"}
    )
    assert response.status_code == 201
    assert response.get_json()["data"]["status"] == "review"
    assert db.session.get(Article, response.get_json()["data"]["id"]).live_revision_number is None


LONG_TITLE = "长" * 201


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"body": "正文"}, "title", "缺少字段 title"),
        ({"title": "标题"}, "body", "缺少字段 body"),
        ({"title": "", "body": "正文"}, "title", "请填写标题"),
        ({"title": "   ", "body": "正文"}, "title", "请填写标题"),
        ({"title": "标题", "body": "  "}, "body", "请填写正文"),
        ({"title": 12, "body": "正文"}, "title", "title 必须是字符串"),
        ({"title": "标题", "body": ["正文"]}, "body", "body 必须是字符串"),
        ({"title": None, "body": "正文"}, "title", "title 必须是字符串"),
        ({"title": LONG_TITLE, "body": "正文"}, "title", "标题不能超过 200 个字"),
        ({"title": "标题", "body": "正文", "tags": "党史"}, "tags", "tags 必须是字符串数组"),
        ({"title": "标题", "body": "正文", "tags": ["党史", 3]}, "tags", "tags 必须是字符串数组"),
        ({"title": "标题", "body": "正文", "tags": ["新标签", "很" * 31]}, "tags", "太长"),
        (
            {"title": "标题", "body": "正文", "tags": [f"标签{i}" for i in range(11)]},
            "tags",
            "标签最多 10 个",
        ),
        ({"title": "标题", "body": "正文", "status": "live"}, "status", "状态只能是"),
        ({"title": "标题", "body": "正文", "status": True}, "status", "status 必须是字符串"),
        ({"title": "标题", "body": "正文", "category": "没有的分类"}, "category", "分类「没有的分类」不存在"),
        (
            {"title": "标题", "body": "正文", "category": True},
            "category",
            "category 必须是分类编号或分类名称",
        ),
        ({"title": "标题", "body": "正文", "author": "别人"}, "author", "不认识的字段：author"),
        # "²" is a digit to str.isdigit, not to int(); 10**30 overflows the lookup: both were a 500
        ({"title": "标题", "body": "正文", "category": "²"}, "category", "分类「²」不存在"),
        ({"title": "标题", "body": "正文", "category": 10**30}, "category", "不存在"),
        ({"title": "标题", "body": "正文", "category": "9" * 30}, "category", "不存在"),
    ],
)
def test_bad_input_is_422_with_a_message_and_writes_nothing(api_as, admin, payload, field, message):
    before = (count(Article), count(ArticleRevision), count(Tag))
    response = api_as(admin).post("/api/v1/articles", json=payload)
    assert response.status_code == 422
    body = response.get_json()
    assert body["success"] is False
    assert message in body["errors"][0]["message"]
    assert body["errors"][0]["field"] == field
    db.session.expire_all()
    assert (count(Article), count(ArticleRevision), count(Tag)) == before


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_422(api_as, admin, raw):
    response = api_as(admin).post("/api/v1/articles", data=raw, content_type="application/json")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["message"] == "请求体必须是 JSON 对象"
    assert count(Article) == 0


def test_members_may_not_write_through_the_api(api_as, create_user):
    response = api_as(create_user("member")).post("/api/v1/articles", json={"title": "标题", "body": "正文"})
    assert response.status_code == 403
    assert count(Article) == 0


def test_patch_makes_a_revision_and_respects_ownership(api_as, trainer, create_user, org_tree):
    caller = api_as(trainer)
    article_id = caller.post("/api/v1/articles", json={"title": "初稿", "body": "第一版"}).get_json()["data"][
        "id"
    ]
    response = caller.patch(f"/api/v1/articles/{article_id}", json={"body": "第二版", "tags": ["党建"]})
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert (data["body"], data["revision"], data["tags"], data["status"]) == ("第二版", 2, ["党建"], "draft")

    bad = caller.patch(f"/api/v1/articles/{article_id}", json={"title": "长" * 201})
    assert bad.status_code == 422
    db.session.expire_all()
    assert db.session.get(Article, article_id).title == "初稿"

    other = api_as(create_user("trainer", branch=org_tree["b1"]))
    assert other.patch(f"/api/v1/articles/{article_id}", json={"body": "别人的改动"}).status_code == 404
    assert other.get(f"/api/v1/articles/{article_id}").status_code == 404  # a draft is not visible
    assert caller.get("/api/v1/articles/999999").status_code == 404


def test_an_upload_rolled_back_leaves_no_file(app, trainer):
    article = authoring.create_article(trainer, title="附件", body="正文")
    db.session.commit()
    with app.app_context():
        before = set(files.upload_dir().iterdir())
    files.add_attachment(article, trainer, io.BytesIO(b"%PDF-1.4 x"), "x.pdf")
    assert len(set(files.upload_dir().iterdir()) - before) == 1
    db.session.rollback()
    assert set(files.upload_dir().iterdir()) == before


def test_a_lone_surrogate_in_an_unknown_field_is_a_clear_422_not_a_500(api_as, admin):
    """An error echoes the unknown field's name back; a name that is half a UTF-16 pair must still
    be answered (JSON escapes it), not fail the encoding of the answer."""
    response = api_as(admin).post(
        "/api/v1/articles", data='{"title": "t", "\\ud800": 1}', content_type="application/json"
    )
    assert response.status_code == 422
    assert "不认识的字段" in response.get_json()["errors"][0]["message"]
