"""Members' works: submitting (article, photos, video), review by a trainer, coordinator or admin
(publish, or return with a comment; the author resubmits), likes once per member, comments under
the same moderators as Q&A (admins hide and restore; members report), featuring on the home page."""

# Services alike in shape to other domains' (load, check the rule, change, flush, audit, notify),
# kept apart: each checks its own rules and says so in its own words.

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import flag_modified
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import Role, User
from app.core import audit, uploads
from app.core.errors import DomainError
from app.core.signals import notification_requested
from app.core.transactions import insert_in_savepoint
from app.core.urls import id_from, site_path
from app.extensions import db
from app.works.models import (
    BODY_MAX,
    COMMENT_MAX,
    PHOTOS_MAX,
    TITLE_MAX,
    Work,
    WorkComment,
    WorkKind,
    WorkLike,
    WorkPhoto,
    WorkStatus,
)
from media_pipeline.models import AssetPurpose, AssetStatus, MediaAsset

#: Photo formats every browser shows, by their first bytes (never SVG: it can carry scripts).
PHOTO_KINDS = {b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg", b"GIF87a": ".gif", b"GIF89a": ".gif"}
PHOTO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".gif": "image/gif"}


class WorkError(DomainError):
    pass


@dataclass
class WorkData:
    kind: str
    title: str
    body: str = ""
    media_asset_id: int | str | None = None
    #: (stream, filename) of each photo, for a photo set.
    photos: list = field(default_factory=list)


def can_review(user: User) -> bool:
    return user.has_any_role(Role.TRAINER, Role.COORDINATOR, Role.ADMIN)


def is_moderator(user: User) -> bool:
    return user.is_admin


def get_work_for(work_id: int, user: User) -> Work:
    """A published work for everyone signed in; one in review or returned for its author and the
    reviewers; 404 otherwise."""
    work = db.session.get(Work, work_id)
    if work is None:
        raise NotFound()
    if work.status is not WorkStatus.PUBLISHED and work.author_id != user.id and not can_review(user):
        raise NotFound()
    return work


def published_query(featured_only: bool = False):
    query = sa.select(Work).where(Work.status == WorkStatus.PUBLISHED)
    if featured_only:
        query = query.where(Work.is_featured.is_(True))
    return query.order_by(Work.published_at.desc())


def mine_query(user: User):
    return sa.select(Work).where(Work.author_id == user.id).order_by(Work.id.desc())


def review_query():
    return sa.select(Work).where(Work.status == WorkStatus.REVIEW).order_by(Work.updated_at)


def photo_dir() -> Path:
    folder = Path(current_app.config["MEDIA_ROOT"]) / "works"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _photo_kind(head: bytes) -> str | None:
    return next((ext for magic, ext in PHOTO_KINDS.items() if head.startswith(magic)), None)


def _save_photo(work: Work, stream, position: int) -> WorkPhoto:
    limit = current_app.config.get("WORKS_MAX_PHOTO_BYTES", 8 * 1024 * 1024)
    try:
        saved = uploads.save_upload(stream, photo_dir(), max_bytes=limit, kind_of=_photo_kind)
    except uploads.UploadRefused as exc:
        messages = {
            uploads.EMPTY: _("图片是空的。"),
            uploads.TOO_LARGE: _("每张图片不能超过 %(n)s MB。", n=limit // (1024 * 1024)),
        }
        raise WorkError(messages.get(exc.reason, _("图片只能是 PNG、JPEG 或 GIF。")), field="photos") from exc
    photo = WorkPhoto(
        work=work, position=position, stored_name=saved.name, content_type=PHOTO_TYPES[saved.path.suffix]
    )
    db.session.add(photo)
    return photo


def _video(author: User, media_asset_id) -> MediaAsset:
    asset = db.session.get(MediaAsset, id_from(media_asset_id) or 0) if id_from(media_asset_id) else None
    if asset is None or (asset.owner_id != author.id and not author.is_admin):
        raise WorkError(_("请选择您上传的视频。"), field="media_asset_id")
    if asset.status is not AssetStatus.READY:
        raise WorkError(_("视频还在处理中，处理完成后再提交。"), field="media_asset_id")
    return asset


def _check(data: WorkData) -> tuple[WorkKind, str, str]:
    try:
        kind = WorkKind(data.kind)
    except ValueError:
        raise WorkError(_("kind 只能是 article、photos 或 video。"), field="kind") from None
    title, body = (data.title or "").strip(), (data.body or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise WorkError(_("请填写标题（不超过 %(n)s 字）。", n=TITLE_MAX), field="title")
    if len(body) > BODY_MAX:
        raise WorkError(_("正文太长了。"), field="body")
    if kind is WorkKind.ARTICLE and not body:
        raise WorkError(_("请填写文章正文。"), field="body")
    if kind is WorkKind.PHOTOS and not 1 <= len(data.photos) <= PHOTOS_MAX:
        raise WorkError(_("图片作品请上传 1 到 %(n)s 张图片。", n=PHOTOS_MAX), field="photos")
    return kind, title, body


def _notify(user_ids, title: str, work: Work, kind: str) -> None:
    notification_requested.send(
        "works", user_ids=list(user_ids), title=title, body=work.title,
        url=site_path("works.detail", work_id=work.id), kind=kind,
    )  # fmt: skip


def submit_work(author: User, data: WorkData) -> Work:
    kind, title, body = _check(data)
    asset = _video(author, data.media_asset_id) if kind is WorkKind.VIDEO else None
    work = Work(
        author_id=author.id, kind=kind, title=title, body=body, media_asset_id=asset.id if asset else None
    )
    db.session.add(work)
    db.session.flush()
    for position, (stream, _name) in enumerate(data.photos if kind is WorkKind.PHOTOS else []):
        _save_photo(work, stream, position)
    audit.record(author, "work.submit", work, title)
    db.session.flush()
    return work


def resubmit_work(author: User, work: Work, title: str, body: str) -> Work:
    """The author revises a returned work (its text) and sends it to review again."""
    if work.author_id != author.id:
        raise Forbidden()
    if work.status is not WorkStatus.RETURNED:
        raise WorkError(_("只有退回的作品可以修改后重新提交。"), status=409)
    data = WorkData(work.kind.value, title, body, photos=[None] * max(1, len(work.photos)))
    _kind, work.title, work.body = _check(data)
    work.status = WorkStatus.REVIEW
    audit.record(author, "work.resubmit", work, work.title)
    db.session.flush()
    return work


def review_work(reviewer: User, work: Work, approve: bool, comment: str, now: datetime) -> Work:
    if not can_review(reviewer):
        raise Forbidden()
    comment = (comment or "").strip()[:1000]
    if not approve and not comment:
        raise WorkError(_("退回时请写明修改意见。"), field="comment")
    moved = db.session.execute(
        sa.update(Work)
        .where(Work.id == work.id, Work.status == WorkStatus.REVIEW)
        .values(
            status=WorkStatus.PUBLISHED if approve else WorkStatus.RETURNED,
            review_comment=comment,
            reviewed_by_id=reviewer.id,
            published_at=now if approve else None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(work)
    if not moved:
        raise WorkError(_("这件作品已经审核过了。"), status=409)
    flag_modified(work, "updated_at")  # the guarded UPDATE bypassed the flush the search index follows
    audit.record(reviewer, "work.publish" if approve else "work.return", work, comment[:200])
    db.session.flush()
    title = _("您的作品已发布") if approve else _("您的作品被退回，请修改后重新提交")
    _notify([work.author_id], title, work, "work.published" if approve else "work.returned")
    return work


def set_featured(actor: User, work: Work, featured: bool) -> Work:
    if not actor.has_any_role(Role.COORDINATOR, Role.ADMIN):
        raise Forbidden()
    if work.status is not WorkStatus.PUBLISHED:
        raise WorkError(_("只有已发布的作品可以推荐到首页。"), status=409)
    work.is_featured = featured
    audit.record(actor, "work.feature" if featured else "work.unfeature", work, work.title)
    db.session.flush()
    return work


def like_work(user: User, work: Work) -> Work:
    if work.status is not WorkStatus.PUBLISHED:
        raise NotFound()
    if not insert_in_savepoint(WorkLike(work_id=work.id, user_id=user.id)):
        raise WorkError(_("您已经点过赞了。"), status=409)
    db.session.execute(
        sa.update(Work).where(Work.id == work.id).values(like_count=Work.like_count + 1)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    db.session.refresh(work)
    return work


def has_liked(work: Work, user: User) -> bool:
    return db.session.get(WorkLike, (work.id, user.id)) is not None


def comments_for(work: Work, user: User) -> list[WorkComment]:
    query = sa.select(WorkComment).where(WorkComment.work_id == work.id).order_by(WorkComment.id)
    if not is_moderator(user):
        query = query.where(WorkComment.is_hidden.is_(False))
    return list(db.session.scalars(query))


def add_comment(user: User, work: Work, body: str) -> WorkComment:
    if work.status is not WorkStatus.PUBLISHED:
        raise NotFound()
    body = (body or "").strip()
    if not body or len(body) > COMMENT_MAX:
        raise WorkError(_("请填写评论（不超过 %(n)s 字）。", n=COMMENT_MAX), field="body")
    comment = WorkComment(work_id=work.id, author_id=user.id, body=body)
    db.session.add(comment)
    db.session.flush()
    if work.author_id and work.author_id != user.id:
        _notify([work.author_id], _("您的作品有了新评论"), work, "work.comment")
    return comment


def can_view_work_media(user, asset_id: int) -> bool:
    """Media viewer check: a published work's video is for everyone signed in; one in review for
    the reviewers deciding on it."""
    statuses = [WorkStatus.PUBLISHED, WorkStatus.REVIEW] if can_review(user) else [WorkStatus.PUBLISHED]
    return db.session.scalar(
        sa.select(sa.exists().where(Work.media_asset_id == asset_id, Work.status.in_(statuses)))
    )


def my_work_videos(user: User, limit: int = 20) -> list[MediaAsset]:
    """The videos ``user`` uploaded for works, newest first, whatever their state."""
    return list(
        db.session.scalars(
            sa.select(MediaAsset)
            .where(MediaAsset.owner_id == user.id, MediaAsset.purpose == AssetPurpose.WORK)
            .order_by(MediaAsset.id.desc())
            .limit(limit)
        )
    )
