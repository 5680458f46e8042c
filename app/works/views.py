"""Members' works pages: the column, submitting, a work with likes and comments, review, photos."""

# Views alike in shape to other blueprints' views by design (load, authorise, one service, commit,
# redirect; import blocks alike too), kept apart: each names its own loader, service and words.

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.clock import utcnow
from app.core.errors import back_to, refused
from app.core.permissions import login_required
from app.extensions import db
from app.works import moderation, services
from app.works.forms import CommentForm, ResubmitForm, ReviewForm, WorkForm
from app.works.models import WorkComment, WorkPhoto
from media_pipeline.models import AssetStatus, MediaAsset
from media_pipeline.views import asset_urls

bp = Blueprint("works", __name__, url_prefix="/works")
TABS = ("published", "mine", "review")


@bp.route("/")
@login_required
def index():
    tab = request.args.get("tab")
    reviewer = services.can_review(current_user)
    if tab not in TABS or (tab == "review" and not reviewer):
        tab = "published"
    query = {"published": services.published_query(), "mine": services.mine_query(current_user)}.get(tab)
    page = db.paginate(query if query is not None else services.review_query(), per_page=20, error_out=False)
    return render_template("works/index.html", page=page, tab=tab, is_reviewer=reviewer)


def _own_videos() -> list[tuple[str, str]]:
    assets = db.session.scalars(
        sa.select(MediaAsset)
        .where(MediaAsset.owner_id == current_user.id, MediaAsset.status == AssetStatus.READY)
        .order_by(MediaAsset.id.desc())
        .limit(50)
    )
    return [("", _("（不选）"))] + [(str(a.id), a.original_filename) for a in assets]


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = WorkForm()
    form.media_asset_id.choices = _own_videos()
    if form.validate_on_submit():
        photos = [(f.stream, f.filename) for f in form.photos.data or [] if f and f.filename]
        data = services.WorkData(
            form.kind.data, form.title.data, form.body.data or "", form.media_asset_id.data, photos
        )
        try:
            work = services.submit_work(current_user, data)
        except services.WorkError as exc:
            return render_template("works/new.html", form=form), refused(exc, form, field="title")
        db.session.commit()
        flash(_("作品已提交，审核通过后发布。"), "success")
        return redirect(url_for("works.detail", work_id=work.id))
    return render_template("works/new.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/videos")
@login_required
def videos():
    """Upload a short video for a work (the pipeline's resumable upload), and the state of mine."""
    config = current_app.config
    return render_template(
        "works/videos.html",
        videos=services.my_work_videos(current_user),
        max_bytes=config["WORKS_VIDEO_MAX_MB"] * 1024 * 1024,
        max_minutes=config["WORKS_VIDEO_MAX_SECONDS"] // 60,
    )


@bp.route("/<int:work_id>")
@login_required
def detail(work_id: int):
    work = services.get_work_for(work_id, current_user)
    video = db.session.get(MediaAsset, work.media_asset_id) if work.media_asset_id else None
    return render_template(
        "works/work.html",
        work=work,
        video_urls=asset_urls(video) if video else None,
        comments=services.comments_for(work, current_user),
        has_liked=services.has_liked(work, current_user),
        can_review=services.can_review(current_user),
        is_moderator=services.is_moderator(current_user),
        review_form=ReviewForm(),
        comment_form=CommentForm(),
        resubmit_form=ResubmitForm(obj=work),
    )


def _back(work_id: int) -> str:
    return url_for("works.detail", work_id=work_id)


@bp.post("/<int:work_id>/<action>")
@login_required
def act(work_id: int, action: str):
    """The one-button steps: publish, return, resubmit, like, comment, feature, unfeature."""
    work = services.get_work_for(work_id, current_user)
    forms = {"publish": ReviewForm, "return": ReviewForm, "resubmit": ResubmitForm, "comment": CommentForm}
    if action not in (*forms, "like", "feature", "unfeature"):
        abort(404)
    form = forms.get(action, ReviewForm)()
    if not form.validate_on_submit():
        abort(422)
    with back_to(_back(work.id)):
        if action in ("publish", "return"):
            services.review_work(current_user, work, action == "publish", form.comment.data, utcnow())
        elif action == "resubmit":
            services.resubmit_work(current_user, work, form.title.data, form.body.data or "")
        elif action == "like":
            services.like_work(current_user, work)
        elif action == "comment":
            services.add_comment(current_user, work, form.body.data)
        else:
            services.set_featured(current_user, work, action == "feature")
    db.session.commit()
    return redirect(_back(work.id))


@bp.post("/<int:work_id>/comments/<int:comment_id>/<action>")
@login_required
def moderate(work_id: int, comment_id: int, action: str):
    work = services.get_work_for(work_id, current_user)
    comment = db.session.get(WorkComment, comment_id)
    if comment is None or comment.work_id != work.id or action not in ("hide", "restore", "report"):
        abort(404)
    if not ReviewForm().validate_on_submit():
        abort(422)
    with back_to(_back(work.id)):
        if action == "report":
            moderation.report_comment(current_user, comment, request.form.get("comment", ""))
        elif action == "hide":
            moderation.hide_comment(comment, current_user)
        else:
            moderation.restore_comment(comment, current_user)
    db.session.commit()
    flash(_("已举报，管理员会处理。") if action == "report" else _("已处理。"), "success")
    return redirect(_back(work.id))


@bp.route("/<int:work_id>/photos/<int:photo_id>")
@login_required
def photo(work_id: int, photo_id: int):
    work = services.get_work_for(work_id, current_user)
    photo = db.session.get(WorkPhoto, photo_id)
    if photo is None or photo.work_id != work.id:
        abort(404)
    path = services.photo_dir() / photo.stored_name
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype=photo.content_type, max_age=3600)
