"""Knowledge-base pages: the column, an article, writing, review, history, files, categories."""

# Import block alike in shape to accounts', qa's and media_pipeline's views: each names what it uses.
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound

from app.accounts.models import Role
from app.core.errors import back_to, refused
from app.core.permissions import login_required, roles_required
from app.extensions import db
from app.kb import authoring, services
from app.kb import files as kb_files
from app.kb.forms import ArticleForm, CategoryForm, RejectForm, UploadForm
from app.kb.models import ArticleAttachment, ArticleCategory, ArticleReading, ArticleStatus, Tag

bp = Blueprint("kb", __name__, url_prefix="/kb")

#: How many article ids a browser session remembers, so a reload does not count as another view.
SEEN_LIMIT = 100


def _category_choices() -> list[tuple[int, str]]:
    return [(0, _("（不分类）"))] + [(c.id, "　" * c.depth + c.name) for c in services.category_tree()]


@bp.route("/")
@login_required
def index():
    category = db.session.get(ArticleCategory, request.args.get("category", 0, type=int))
    tag = db.session.get(Tag, request.args.get("tag", 0, type=int))
    text = request.args.get("q", "").strip()[:50]
    page = db.paginate(
        services.live_articles_query(category, tag, text),
        per_page=current_app.config["ITEMS_PER_PAGE"],
        error_out=False,
    )
    return render_template(
        "kb/index.html",
        page=page,
        category=category,
        tag=tag,
        text=text,
        categories=services.category_tree(),
        tags=services.popular_tags(),
        can_write=services.can_write(current_user),
        review_count=services.review_queue_count() if services.can_approve(current_user) else 0,
    )


@bp.route("/articles/<int:article_id>")
@login_required
def article(article_id: int):
    article = services.get_article_for(article_id, current_user)
    can_edit = services.can_edit(current_user, article)
    # Readers see the approved revision; editors may preview the working copy.
    preview = can_edit and (request.args.get("preview") == "1" or not article.is_live)
    shown = article if preview else article.live
    seen = session.get("kb_seen", [])
    if article.is_live and article.id not in seen:
        services.record_view(article, current_user)
        db.session.commit()
        session["kb_seen"] = [*seen, article.id][-SEEN_LIMIT:]
    return render_template(
        "kb/article.html",
        article=article,
        shown=shown,
        preview=preview,
        can_edit=can_edit,
        can_approve=services.can_approve(current_user),
        can_delete=services.can_approve(current_user) or (can_edit and not article.is_live),
        reject_form=RejectForm(),
        reading=None if preview or not article.is_live else reading_state(current_user.id, article.id),
    )


def reading_state(user_id: int, article_id: int) -> dict:
    """What the page's reading heartbeats need (see app/static/js/kb-reading.js)."""
    row = db.session.get(ArticleReading, (user_id, article_id))
    return {
        "heartbeat": current_app.config["HEARTBEAT_INTERVAL_SECONDS"],
        "read": row is not None and row.read_at is not None,
    }


def _save_article(form: ArticleForm, article=None):
    wanted = (
        ArticleStatus.PUBLISHED
        if form.publish.data
        else ArticleStatus.REVIEW
        if form.submit_review.data
        else ArticleStatus.DRAFT
    )
    category = db.session.get(ArticleCategory, form.category_id.data) if form.category_id.data else None
    fields = {
        "title": form.title.data,
        "summary": form.summary.data or "",
        "body": form.body.data,
        "category": category,
        "tags": services.parse_tags(form.tags.data),
    }
    if article is None:
        return authoring.create_article(current_user, status=wanted, **fields)
    # "Save" keeps a published article published (an approver's edit) or sends it to review.
    status = None if form.save.data and article.status != ArticleStatus.DRAFT else wanted
    return authoring.update_article(article, current_user, status=status, note=form.note.data or "", **fields)


def _article_form_page(form: ArticleForm, article=None):
    if form.validate_on_submit():
        try:
            saved = _save_article(form, article)
        except services.KbError as exc:
            refused(exc, form, field="body")
        else:
            db.session.commit()
            messages = {
                ArticleStatus.DRAFT: _("已保存草稿。"),
                ArticleStatus.REVIEW: _("已提交审核，审核通过后发布。"),
                ArticleStatus.PUBLISHED: _("已发布。"),
            }
            flash(messages[saved.status], "success")
            return redirect(url_for("kb.article", article_id=saved.id))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "kb/article_form.html", form=form, article=article, can_approve=services.can_approve(current_user)
    ), status


@bp.route("/articles/new", methods=["GET", "POST"])
@roles_required(Role.TRAINER, Role.COORDINATOR)
def create_article():
    form = ArticleForm()
    form.category_id.choices = _category_choices()
    if not form.is_submitted():
        form.category_id.data = request.args.get("category", 0, type=int)
    return _article_form_page(form)


@bp.route("/articles/<int:article_id>/edit", methods=["GET", "POST"])
@login_required
def edit_article(article_id: int):
    article = services.get_article_for(article_id, current_user, edit=True)
    form = ArticleForm(obj=article)
    form.category_id.choices = _category_choices()
    if not form.is_submitted():
        form.category_id.data = article.category_id or 0
        form.tags.data = "，".join(t.name for t in article.tags)
    return _article_form_page(form, article)


def _workflow(article_id: int, action, success: str, edit: bool = True):
    article = services.get_article_for(article_id, current_user, edit=edit)
    with back_to(url_for("kb.article", article_id=article_id)):
        action(article)
    db.session.commit()
    flash(success, "success")
    return redirect(url_for("kb.article", article_id=article_id))


@bp.route("/articles/<int:article_id>/submit", methods=["POST"])
@login_required
def submit_article(article_id: int):
    return _workflow(article_id, lambda a: authoring.submit_article(a, current_user), _("已提交审核。"))


@bp.route("/articles/<int:article_id>/approve", methods=["POST"])
@roles_required(Role.COORDINATOR)
def approve_article(article_id: int):
    return _workflow(
        article_id, lambda a: authoring.approve_article(a, current_user), _("已审核通过并发布。")
    )


@bp.route("/articles/<int:article_id>/reject", methods=["POST"])
@roles_required(Role.COORDINATOR)
def reject_article(article_id: int):
    form = RejectForm()
    note = form.note.data if form.validate_on_submit() else ""
    return _workflow(
        article_id, lambda a: authoring.reject_article(a, current_user, note), _("已退回作者修改。")
    )


# Alike in shape to approve_article: one _workflow call per action.
@bp.route("/articles/<int:article_id>/unpublish", methods=["POST"])
@roles_required(Role.COORDINATOR)
def unpublish_article(article_id: int):
    return _workflow(
        article_id, lambda a: authoring.unpublish_article(a, current_user), _("已撤下，文章转为草稿。")
    )


@bp.route("/articles/<int:article_id>/delete", methods=["POST"])
@login_required
def delete_article(article_id: int):
    article = services.get_article_for(article_id, current_user, edit=True)
    authoring.delete_article(article, current_user)
    db.session.commit()
    flash(_("已删除文章。"), "success")
    return redirect(url_for("kb.workbench"))


@bp.route("/mine")
@roles_required(Role.TRAINER, Role.COORDINATOR)
def workbench():
    status = request.args.get("status") if request.args.get("status") in set(ArticleStatus) else None
    page = db.paginate(
        services.workbench_query(current_user, status),
        per_page=current_app.config["ITEMS_PER_PAGE"],
        error_out=False,
    )
    return render_template(
        "kb/workbench.html", page=page, status=status, can_approve=services.can_approve(current_user)
    )


# --- history --------------------------------------------------------------------------------------


@bp.route("/articles/<int:article_id>/history")
@login_required
def history(article_id: int):
    article = services.get_article_for(article_id, current_user, edit=True)
    return render_template("kb/history.html", article=article, revisions=authoring.revisions(article))


@bp.route("/articles/<int:article_id>/diff")
@login_required
def diff(article_id: int):
    article = services.get_article_for(article_id, current_user, edit=True)
    new_number = request.args.get("to", article.revision_number, type=int)
    old_number = request.args.get("from", new_number - 1, type=int)
    old = authoring.get_revision(article, old_number)
    new = authoring.get_revision(article, new_number)
    return render_template(
        "kb/diff.html", article=article, old=old, new=new, lines=authoring.revision_diff(old, new)
    )


@bp.route("/articles/<int:article_id>/restore/<int:number>", methods=["POST"])
@login_required
def restore(article_id: int, number: int):
    return _workflow(
        article_id,
        lambda a: authoring.restore_revision(a, number, current_user),
        _("已恢复到第 %(number)s 版（作为新版本保存）。", number=number),
    )


# --- files ----------------------------------------------------------------------------------------


def _files_page(article, form: UploadForm | None = None, target: str | None = None, status: int = 200):
    return render_template("kb/files.html", article=article, form=form or UploadForm(), target=target), status


@bp.route("/articles/<int:article_id>/files")
@login_required
def files(article_id: int):
    return _files_page(services.get_article_for(article_id, current_user, edit=True))


def _upload(article_id: int, target: str, action, success: str):
    article = services.get_article_for(article_id, current_user, edit=True)
    form = UploadForm()
    if form.validate_on_submit():
        try:
            action(article, form.file.data)
        except services.KbError as exc:
            refused(exc, form, field="file")
        else:
            db.session.commit()
            flash(success, "success")
            return redirect(url_for("kb.files", article_id=article_id))
    return _files_page(article, form, target, 422)


@bp.route("/articles/<int:article_id>/attachments", methods=["POST"])
@login_required
def add_attachment(article_id: int):
    return _upload(
        article_id,
        "attachment",
        lambda a, f: kb_files.add_attachment(a, current_user, f.stream, f.filename),
        _("已添加附件。"),
    )


@bp.route("/articles/<int:article_id>/cover", methods=["POST"])
@login_required
def set_cover(article_id: int):
    return _upload(
        article_id, "cover", lambda a, f: kb_files.set_cover(a, current_user, f.stream), _("已更换封面。")
    )


def _protected_file(path, mimetype: str, **kwargs):
    if not path.is_file():
        raise NotFound()
    response = send_file(path, mimetype=mimetype, max_age=0, **kwargs)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=0"
    return response


@bp.route("/articles/<int:article_id>/cover")
@login_required
def cover(article_id: int):
    article = services.get_article_for(article_id, current_user)
    if not article.cover_file:
        abort(404)
    return _protected_file(kb_files.stored_path(article.cover_file), kb_files.cover_content_type(article))


@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    item = db.session.get(ArticleAttachment, attachment_id)
    if item is None:
        abort(404)
    services.get_article_for(item.article_id, current_user)  # 404 unless the reader may see the article
    return _protected_file(
        kb_files.stored_path(item.stored_name),
        item.content_type,
        as_attachment=True,
        download_name=item.filename,
    )


@bp.route("/attachments/<int:attachment_id>/delete", methods=["POST"])
@login_required
def delete_attachment(attachment_id: int):
    item = db.session.get(ArticleAttachment, attachment_id)
    if item is None:
        abort(404)
    article_id = item.article_id
    services.get_article_for(article_id, current_user, edit=True)
    kb_files.delete_attachment(item, current_user)
    db.session.commit()
    flash(_("已删除附件。"), "success")
    return redirect(url_for("kb.files", article_id=article_id))


# --- categories -----------------------------------------------------------------------------------


@bp.route("/categories", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def categories():
    form = CategoryForm()
    form.parent_id.choices = [(0, _("（顶级分类）")), *_category_choices()[1:]]
    if form.validate_on_submit():
        parent = db.session.get(ArticleCategory, form.parent_id.data) if form.parent_id.data else None
        try:
            services.create_category(form.name.data, parent, current_user)
        except services.KbError as exc:
            refused(exc, form, field="name")
        else:
            db.session.commit()
            flash(_("已创建分类。"), "success")
            return redirect(url_for("kb.categories"))
    status = 422 if form.is_submitted() else 200
    return render_template("kb/categories.html", form=form, categories=services.category_tree()), status


@bp.route("/categories/<int:category_id>/delete", methods=["POST"])
@roles_required(Role.COORDINATOR)
def delete_category(category_id: int):
    category = db.session.get(ArticleCategory, category_id)
    if category is None:
        abort(404)
    with back_to(url_for("kb.categories")):
        services.delete_category(category, current_user)
    db.session.commit()
    flash(_("已删除分类。"), "success")
    return redirect(url_for("kb.categories"))
