"""Suggestions over the API: submitting one, and reading one I may see."""

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from app.api import ApiError, bp, ok
from app.core.clock import utcnow
from app.core.urls import absolute_url
from app.extensions import db
from app.voice import suggestions as services
from app.voice.models import Suggestion


def suggestion_json(suggestion: Suggestion) -> dict:
    shows_author = services.shows_author(current_user, suggestion)
    return {
        "id": suggestion.id,
        "title": suggestion.title,
        "body": suggestion.body,
        "status": suggestion.status.value,
        "status_label": suggestion.status_label,
        "to": suggestion.target.value,
        "branch": {"id": suggestion.branch.id, "name": suggestion.branch.name},
        "author": suggestion.author.name if shows_author and suggestion.author else None,
        "is_anonymous": suggestion.is_anonymous,
        "is_public": suggestion.is_public,
        "reply": suggestion.reply or None,
        "replied_at": suggestion.replied_at.isoformat() if suggestion.replied_at else None,
        "reject_reason": suggestion.reject_reason or None,
        "rating": suggestion.rating,
        "created_at": suggestion.created_at.isoformat(),
        "url": absolute_url("voice_suggestions.detail", suggestion_id=suggestion.id),
    }


def _flag(body: dict, name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise ApiError(_("%(name)s 必须是 true 或 false。", name=name), field=name)
    return value


@bp.post("/suggestions")
def submit_suggestion():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(_("请求体必须是 JSON 对象。"))
    title, text, to = body.get("title"), body.get("body"), body.get("to")
    if not isinstance(title, str) or not isinstance(text, str):
        raise ApiError(_("title 和 body 必须是文字。"), field="title")
    if isinstance(to, bool) or not isinstance(to, str | int):
        raise ApiError(_("to 只能是 branch、committee 或部门编号。"), field="to")
    data = services.SuggestionData(title, text, to, _flag(body, "anonymous"), _flag(body, "public"))
    suggestion = services.submit_suggestion(current_user, data, utcnow())
    db.session.commit()
    return ok(suggestion_json(suggestion), status=201)


@bp.get("/suggestions/<int:suggestion_id>")
def get_suggestion(suggestion_id: int):
    return ok(suggestion_json(services.get_suggestion_for(suggestion_id, current_user)))
