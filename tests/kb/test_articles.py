"""Knowledge-base articles: writing, review, what readers see, history, files, the lesson hook."""

import io

import pytest
import sqlalchemy as sa

from app.core import uploads
from app.extensions import db
from app.kb import authoring, files, services
from app.kb.models import Article, ArticleAttachment, ArticleRevision
from tests.helpers import config_set, count
from tests.portal.fixtures import notifications_of

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def people(org_tree, create_user):
    return {
        "trainer": create_user("trainer", "member", branch=org_tree["a1"], name="王讲师"),
        "other_trainer": create_user("trainer", branch=org_tree["a2"], name="李讲师"),
        "coordinator": create_user("coordinator", branch=org_tree["a"], name="赵组织"),
        "member": create_user("member", branch=org_tree["b1"], name="钱学员"),
    }


def write(author, title="党章学习要点", body="# 第一章\n\n党员的义务。", **kwargs) -> Article:
    article = authoring.create_article(author, title=title, body=body, **kwargs)
    db.session.commit()
    return article


def test_draft_review_publish_flow(as_user, people):
    trainer, member, coordinator = people["trainer"], people["member"], people["coordinator"]
    page = as_user(trainer).post(
        "/kb/articles/new",
        data={
            "title": "三会一课制度",
            "body": "**支部党员大会**每季度召开一次。",
            "tags": "组织生活，三会一课",
            "category_id": 0,
            "save": "1",
        },
    )
    assert page.status_code == 302
    article = db.session.scalars(sa.select(Article).where(Article.title == "三会一课制度")).one()
    assert article.status == "draft"
    assert not article.is_live
    assert [t.name for t in article.tags] == ["三会一课", "组织生活"]

    reader = as_user(member)
    assert reader.get(f"/kb/articles/{article.id}").status_code == 404  # drafts are nobody else's business
    assert "三会一课制度" not in reader.get("/kb/").get_data(as_text=True)

    assert as_user(trainer).post(f"/kb/articles/{article.id}/submit").status_code == 302
    assert notifications_of(coordinator)[0].kind == "kb.review"
    assert (
        as_user(trainer).post(f"/kb/articles/{article.id}/approve").status_code == 403
    )  # a trainer cannot approve

    assert as_user(coordinator).post(f"/kb/articles/{article.id}/approve").status_code == 302
    db.session.expire_all()
    assert db.session.get(Article, article.id).status == "published"
    assert notifications_of(trainer)[0].title == "文章已发布"
    shown = reader.get(f"/kb/articles/{article.id}").get_data(as_text=True)
    assert "<strong>支部党员大会</strong>每季度召开一次" in shown
    assert "三会一课制度" in reader.get("/kb/").get_data(as_text=True)


def test_a_trainers_edit_to_a_published_article_waits_for_review(as_user, people):
    article = write(people["coordinator"], body="旧的正文", status="published")
    authoring.update_article(
        db.session.get(Article, article.id), people["coordinator"], body="协调员改过的正文"
    )  # an approver's own edit stays live
    db.session.commit()
    assert db.session.get(Article, article.id).live.body == "协调员改过的正文"

    # Another trainer wrote it? No: the coordinator did, so a trainer may not edit it at all.
    assert as_user(people["trainer"]).get(f"/kb/articles/{article.id}/edit").status_code == 403

    own = write(people["trainer"], body="讲师的第一稿", status="review")
    authoring.approve_article(db.session.get(Article, own.id), people["coordinator"])
    db.session.commit()
    trainer = as_user(people["trainer"])
    response = trainer.post(
        f"/kb/articles/{own.id}/edit",
        data={"title": own.title, "body": "讲师的第二稿", "category_id": 0, "save": "1"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    own = db.session.get(Article, own.id)
    assert own.status == "review"
    assert own.has_pending_changes
    reader = as_user(people["member"])
    assert "讲师的第一稿" in reader.get(f"/kb/articles/{own.id}").get_data(as_text=True)
    assert "讲师的第二稿" in trainer.get(f"/kb/articles/{own.id}?preview=1").get_data(as_text=True)

    as_user(people["coordinator"]).post(f"/kb/articles/{own.id}/approve")
    page = reader.get(f"/kb/articles/{own.id}").get_data(as_text=True)
    assert "讲师的第二稿" in page
    assert "讲师的第一稿" not in page


@pytest.mark.parametrize("who", ["member", "other_trainer"])
def test_who_may_not_write_or_edit(as_user, people, who):
    article = write(people["trainer"])
    client = as_user(people[who])
    if who == "member":
        assert client.get("/kb/articles/new").status_code == 403
    assert client.post(f"/kb/articles/{article.id}/edit", data={"title": "x", "body": "y"}).status_code == 404
    assert db.session.get(Article, article.id).title == "党章学习要点"


def test_reject_needs_a_reason_and_tells_the_author(as_user, people):
    article = write(people["trainer"], status="review")
    coordinator = as_user(people["coordinator"])
    coordinator.post(f"/kb/articles/{article.id}/reject", data={"note": ""})
    db.session.expire_all()
    assert db.session.get(Article, article.id).status == "review"
    coordinator.post(f"/kb/articles/{article.id}/reject", data={"note": "请补充出处"})
    db.session.expire_all()
    article = db.session.get(Article, article.id)
    assert (article.status, article.review_note) == ("draft", "请补充出处")
    assert notifications_of(people["trainer"])[0].body.endswith("请补充出处")


def test_history_diff_and_restore(as_user, people):
    article = write(people["trainer"], body="第一段\n第二段")
    authoring.update_article(article, people["trainer"], body="第一段\n改写的第二段\n第三段", note="补充")
    db.session.commit()
    client = as_user(people["trainer"])
    history = client.get(f"/kb/articles/{article.id}/history").get_data(as_text=True)
    assert "第 2 版" in history
    assert "补充" in history

    diff = client.get(f"/kb/articles/{article.id}/diff?from=1&to=2").get_data(as_text=True)
    assert '<div class="remove">- 第二段</div>' in diff
    assert '<div class="add">+ 改写的第二段</div>' in diff
    assert '<div class="add">+ 第三段</div>' in diff

    assert client.post(f"/kb/articles/{article.id}/restore/1").status_code == 302
    db.session.expire_all()
    article = db.session.get(Article, article.id)
    assert (article.revision_number, article.body) == (3, "第一段\n第二段")
    assert count(ArticleRevision, ArticleRevision.article_id == article.id) == 3  # history is never rewritten
    assert as_user(people["member"]).get(f"/kb/articles/{article.id}/history").status_code == 404


def test_views_count_once_per_reader_session_and_not_the_author(as_user, people):
    article = write(people["coordinator"], status="published")
    reader = as_user(people["member"])
    reader.get(f"/kb/articles/{article.id}")
    reader.get(f"/kb/articles/{article.id}")
    as_user(people["trainer"]).get(f"/kb/articles/{article.id}")
    as_user(people["coordinator"]).get(f"/kb/articles/{article.id}")
    db.session.expire_all()
    assert db.session.get(Article, article.id).view_count == 2


def test_pdf_attachment_is_a_permission_checked_download(as_user, people):
    article = write(people["trainer"])
    trainer = as_user(people["trainer"])
    response = trainer.post(
        f"/kb/articles/{article.id}/attachments",
        data={"file": (io.BytesIO(PDF), "党章（2022 修订）.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    attachment = db.session.scalars(sa.select(ArticleAttachment)).one()

    reader = as_user(people["member"])
    assert reader.get(f"/kb/attachments/{attachment.id}").status_code == 404  # the article is a draft

    authoring.approve_article(db.session.get(Article, article.id), people["coordinator"])
    db.session.commit()
    download = reader.get(f"/kb/attachments/{attachment.id}")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "evil.pdf", "附件只能是 PDF 文件"),
        (b"", "empty.pdf", "附件是空的"),
    ],
)
def test_not_a_pdf_is_refused_and_nothing_is_kept(as_user, people, app, content, name, message):
    article = write(people["trainer"])
    with app.app_context():
        files_before = set(files.upload_dir().iterdir())
    response = as_user(people["trainer"]).post(
        f"/kb/articles/{article.id}/attachments",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(ArticleAttachment) == 0
    with app.app_context():
        assert set(files.upload_dir().iterdir()) == files_before


def test_cover_image_is_checked_by_content(as_user, people):
    article = write(people["trainer"], status="review")
    trainer = as_user(people["trainer"])
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    refused = trainer.post(
        f"/kb/articles/{article.id}/cover",
        data={"file": (io.BytesIO(svg), "cover.png")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert "封面只能是 PNG、JPEG、GIF 或 WebP 图片" in refused.get_data(as_text=True)
    accepted = trainer.post(
        f"/kb/articles/{article.id}/cover",
        data={"file": (io.BytesIO(PNG), "cover.svg")},
        content_type="multipart/form-data",
    )
    assert accepted.status_code == 302
    image = trainer.get(f"/kb/articles/{article.id}/cover")
    assert image.mimetype == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"


def test_published_article_for_a_course_lesson(people):
    draft = write(people["trainer"], body="<script>x()</script>**要点**")
    assert services.get_published_article(draft.id) is None
    assert services.get_published_article(987654) is None
    authoring.approve_article(draft, people["coordinator"])
    authoring.update_article(draft, people["trainer"], body="待审核的新稿")
    db.session.commit()
    lesson = services.get_published_article(draft.id)
    assert lesson.title == "党章学习要点"
    assert "<strong>要点</strong>" in lesson.html
    assert "<script>" not in lesson.html
    assert lesson.text_length > 0
    assert (draft.id, "党章学习要点") in services.published_article_choices()


def test_category_tree_filters_include_subcategories(as_user, people):
    coordinator = people["coordinator"]
    parent = services.create_category("党内法规", None, coordinator)
    child = services.create_category("准则条例", parent, coordinator)
    write(coordinator, title="关于新形势下党内政治生活的若干准则", category=child, status="published")
    write(coordinator, title="不在此分类", status="published")
    page = as_user(people["member"]).get(f"/kb/?category={parent.id}").get_data(as_text=True)
    assert "若干准则" in page
    assert "不在此分类" not in page

    client = as_user(coordinator)
    client.post(f"/kb/categories/{parent.id}/delete")
    assert "还有子分类" in client.get("/kb/categories").get_data(as_text=True)
    response = client.post("/kb/categories", data={"name": "准则条例", "parent_id": parent.id})
    assert response.status_code == 422
    assert "同一上级下已有名为「准则条例」的分类" in response.get_data(as_text=True)


def test_deleting_an_article_removes_its_files(as_user, people, app):
    article = write(people["trainer"])
    files.add_attachment(article, people["trainer"], io.BytesIO(PDF), "a.pdf")
    db.session.commit()
    stored = files.stored_path(db.session.scalars(sa.select(ArticleAttachment)).one().stored_name)
    assert stored.exists()
    client = as_user(people["trainer"])
    assert client.post(f"/kb/articles/{article.id}/delete").status_code == 302
    assert count(Article) == 0
    assert not stored.exists()


class EndlessUpload:
    """A file that never ends, remembering the largest single read the server asked of it."""

    def __init__(self, head: bytes):
        self.head, self.sent, self.largest_read = head, 0, 0

    def read(self, size: int = -1) -> bytes:
        self.largest_read = max(self.largest_read, size if size > 0 else 2**62)
        block = (self.head if self.sent == 0 else b"") + b"0" * max(size, 0)
        block = block[: max(size, 0)]
        self.sent += len(block)
        return block


@pytest.mark.parametrize(("what", "head"), [("attachment", b"%PDF-1.4\n"), ("cover", PNG[:16])])
def test_finding_kb_uploads_are_streamed_never_read_whole_into_memory(app, people, what, head):
    """Attachments and covers were read with ``stream.read(limit + 1)``: one upload near the limit
    held 20 MB in memory per request. They are streamed in blocks and dropped past the limit."""
    article = write(people["trainer"])
    stream = EndlessUpload(head)
    with config_set(app, KB_MAX_ATTACHMENT_BYTES=2 * 1024**2, KB_MAX_COVER_BYTES=2 * 1024**2):
        before = set(files.upload_dir().iterdir())
        upload = {
            "attachment": lambda: files.add_attachment(article, people["trainer"], stream, "大文件.pdf"),
            "cover": lambda: files.set_cover(article, people["trainer"], stream),
        }[what]
        with pytest.raises(services.KbError, match="不能超过 2 MB"):
            upload()
    assert stream.largest_read <= uploads.BLOCK_BYTES
    assert stream.sent <= 2 * 1024**2 + uploads.BLOCK_BYTES
    assert set(files.upload_dir().iterdir()) == before
