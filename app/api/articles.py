"""Knowledge-base articles over the API, for content-import scripts (trainer or admin token).

``POST /api/v1/articles`` ``{"title", "body" (Markdown), "summary"?, "category"? (id or name),
"tags"? (list of names), "status"?: "draft" | "review" | "published"}``. A trainer asking for
``published`` gets ``review``: an approver must approve it (the answer says which status it got).
Anything wrong answers 422 with a message and the field, and writes nothing.
"""

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import Forbidden

from app.api import ApiError, bp, ok
from app.api.progress import _json_body as json_body
from app.core.text import render_markdown
from app.core.urls import absolute_url
from app.extensions import db
from app.kb import authoring, reading, services
from app.kb.models import Article
from app.records import services as records

FIELDS = {"title", "body", "summary", "category", "tags", "status"}


def article_json(article: Article, user) -> dict:
    editor = services.can_edit(user, article)
    shown = article if editor or article.live is None else article.live
    data = {
        "id": article.id,
        "title": shown.title,
        "summary": shown.summary,
        "body": shown.body,
        "html": str(render_markdown(shown.body)),
        "category": {"id": article.category.id, "name": article.category.name} if article.category else None,
        "tags": [t.name for t in article.tags],
        "url": absolute_url("kb.article", article_id=article.id),
        "author": article.author.name if article.author else None,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "view_count": article.view_count,
        "attachments": [
            {
                "id": a.id,
                "filename": a.filename,
                "size": a.size,
                "url": absolute_url("kb.attachment", attachment_id=a.id),
            }
            for a in article.attachments
        ],
    }
    if editor:
        data |= {
            "status": article.status.value,
            "revision": article.revision_number,
            "live_revision": article.live_revision_number,
        }
    return data


def _payload(required: tuple[str, ...]) -> dict:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ApiError(_("请求体必须是 JSON 对象"))
    unknown = sorted(set(payload) - FIELDS)
    if unknown:
        raise ApiError(_("不认识的字段：%(fields)s", fields=", ".join(unknown)), field=unknown[0])
    for name in required:
        if name not in payload:
            raise ApiError(_("缺少字段 %(name)s", name=name), field=name)
    for name in ("title", "body", "summary", "status"):
        if name in payload and not isinstance(payload[name], str):
            raise ApiError(_("%(name)s 必须是字符串", name=name), field=name)
    if "tags" in payload and not (
        isinstance(payload["tags"], list) and all(isinstance(t, str) for t in payload["tags"])
    ):
        raise ApiError(_("tags 必须是字符串数组"), field="tags")
    category = payload.get("category")
    if isinstance(category, bool) or not (category is None or isinstance(category, int | str)):
        raise ApiError(_("category 必须是分类编号或分类名称"), field="category")
    return payload


@bp.post("/articles")
def create_article():
    if not services.can_write(current_user):
        raise Forbidden(_("只有讲师、组织员和管理员可以撰写文章。"))
    payload = _payload(("title", "body"))
    article = authoring.create_article(  # a KbError answers 422 with its field (app.core.errors)
        current_user,
        title=payload["title"],
        body=payload["body"],
        summary=payload.get("summary", ""),
        category=services.find_category(payload.get("category")),
        tags=services.parse_tags(payload.get("tags") or []),
        status=payload.get("status", "draft"),
    )
    db.session.commit()
    return ok(
        {
            "id": article.id,
            "url": absolute_url("kb.article", article_id=article.id),
            "status": article.status.value,
        },
        201,
    )


@bp.get("/articles")
def list_articles():
    page = request.args.get("page", 1, type=int)
    per_page = min(request.args.get("per_page", 20, type=int), 100)
    result = db.paginate(services.live_articles_query(), page=page, per_page=per_page, error_out=False)
    return ok(
        {
            "total": result.total,
            "page": result.page,
            "pages": result.pages,
            "articles": [
                {
                    "id": a.id,
                    "title": a.live.title,
                    "summary": a.live.summary,
                    "url": absolute_url("kb.article", article_id=a.id),
                    "published_at": a.published_at.isoformat() if a.published_at else None,
                }
                for a in result.items
            ],
        }
    )


@bp.get("/articles/<int:article_id>")
def get_article(article_id: int):
    return ok(article_json(services.get_article_for(article_id, current_user), current_user))


@bp.patch("/articles/<int:article_id>")
def update_article(article_id: int):
    article = services.get_article_for(article_id, current_user, edit=True)
    payload = _payload(())
    changes = {k: payload[k] for k in ("title", "body", "summary", "status") if k in payload}
    if "category" in payload:
        changes["category"] = services.find_category(payload["category"])
    if "tags" in payload:
        changes["tags"] = services.parse_tags(payload["tags"])
    authoring.update_article(article, current_user, **changes)
    db.session.commit()
    return ok(article_json(article, current_user))


@bp.post("/articles/<int:article_id>/progress")
def post_article_progress(article_id: int):
    """The article page's reading heartbeats (the same fields as an article lesson's): the server
    measures the visible time by its own clock and counts a reading once (see app.kb.reading)."""
    heartbeat = records.parse_heartbeat(json_body())
    state = reading.record_reading(
        current_user, article_id, heartbeat, reading.ReadingPolicy.from_config(current_app.config)
    )
    db.session.commit()
    return ok(state)
