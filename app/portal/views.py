"""The home page by role, news and notices (党务公开), the notification centre, and the audit log."""

from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts.models import Role
from app.core.clock import LOCAL_TZ
from app.core.errors import back_to, refused
from app.core.models import AuditEntry
from app.core.permissions import login_required, roles_required
from app.core.text import plain_text, render_markdown
from app.extensions import db
from app.portal import notifications, services
from app.portal.forms import NoticeForm
from app.portal.models import KIND_LABELS, Notification
from app.portal.panels import sections_for

bp = Blueprint("portal", __name__)
bp.add_app_template_filter(render_markdown, "markdown")
bp.add_app_template_filter(plain_text, "plain")

SECTION_TITLES = {
    "admin": _l("系统概况"),
    "coordinator": _l("本组织概况"),
    "trainer": _l("教学工作"),
    "member": _l("我的学习"),
}


@bp.app_template_global()
def unread_notification_count() -> int:
    """For the bell in the navigation: one indexed COUNT per page, remembered for the request."""
    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        g.unread_notifications = notifications.unread_count(current_user.id)
    return g.unread_notifications


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    sections = sections_for(current_user)
    return render_template(
        "portal/home.html",
        user=current_user,
        sections=sections,
        has_learning_panel=any(key.startswith("courses.") for s in sections for key in s.keys),
        titles=SECTION_TITLES,
    )


@bp.route("/admin/audit")
@roles_required(Role.ADMIN)
def audit_log():
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    if action := request.args.get("action"):
        query = query.where(AuditEntry.action.startswith(action))
    page = db.paginate(query, per_page=current_app.config["ITEMS_PER_PAGE"], error_out=False)
    return render_template("portal/audit.html", page=page)


# --- notifications --------------------------------------------------------------------------------


def _own_notification(notification_id: int) -> Notification:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    return notification


@bp.route("/notifications")
@login_required
def notification_centre():
    unread_only = request.args.get("unread") == "1"
    page = db.paginate(
        notifications.notifications_query(current_user.id, unread_only),
        per_page=current_app.config["ITEMS_PER_PAGE"],
        error_out=False,
    )
    return render_template("portal/notifications.html", page=page, unread_only=unread_only)


@bp.route("/notifications/<int:notification_id>")
@login_required
def open_notification(notification_id: int):
    """Follow a notification: mark it read and go where it points."""
    notification = _own_notification(notification_id)
    notifications.mark_read(notification)
    db.session.commit()
    return redirect(notification.url or url_for("portal.notification_centre"))


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def read_notification(notification_id: int):
    notifications.mark_read(_own_notification(notification_id))
    db.session.commit()
    return redirect(url_for("portal.notification_centre", unread=request.args.get("unread")))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all_notifications():
    count = notifications.mark_all_read(current_user.id)
    db.session.commit()
    flash(_("已将 %(n)s 条通知标为已读。", n=count), "success")
    return redirect(url_for("portal.notification_centre"))


# --- notices --------------------------------------------------------------------------------------


@bp.route("/notices")
@login_required
def notices():
    kind = request.args.get("kind") if request.args.get("kind") in KIND_LABELS else None
    page = db.paginate(
        services.visible_notices_query(current_user, kind),
        per_page=current_app.config["ITEMS_PER_PAGE"],
        error_out=False,
    )
    read_ids = set(
        db.session.scalars(
            sa.select(services.NoticeRead.notice_id).where(
                services.NoticeRead.user_id == current_user.id,
                services.NoticeRead.notice_id.in_([n.id for n in page.items]),
            )
        )
    )
    return render_template(
        "portal/notices.html",
        page=page,
        kind=kind,
        kinds=KIND_LABELS,
        read_ids=read_ids,
        can_publish=services.can_publish(current_user),
    )


@bp.route("/notices/<int:notice_id>")
@login_required
def notice(notice_id: int):
    notice = services.get_notice_for(notice_id, current_user)
    if services.mark_notice_read(notice, current_user):
        db.session.commit()
    scope = services.readers_scope(current_user, notice)
    return render_template(
        "portal/notice.html",
        notice=notice,
        has_read=services.has_read(notice, current_user),
        addressed=services.reaches(current_user, notice),
        can_manage=services.can_manage(current_user, notice),
        can_see_readers=notice.is_published and scope is not None,
    )


@bp.route("/notices/<int:notice_id>/receipt", methods=["POST"])
@login_required
def confirm_notice(notice_id: int):
    notice = services.get_notice_for(notice_id, current_user)
    if not services.reaches(current_user, notice):
        abort(400, description=_("这条公开不是发给您的，无需回执。"))
    services.mark_notice_read(notice, current_user, confirm=True)
    db.session.commit()
    flash(_("已确认阅读。"), "success")
    return redirect(url_for("portal.notice", notice_id=notice.id))


def _form_data(form: NoticeForm) -> services.NoticeData:
    starts_at = form.starts_at.data
    if isinstance(starts_at, datetime):
        starts_at = starts_at.replace(tzinfo=LOCAL_TZ)  # typed in Asia/Shanghai
    return services.NoticeData(
        kind=form.kind.data,
        title=form.title.data,
        body=form.body.data,
        branch_id=form.branch_id.data or None,
        requires_receipt=form.requires_receipt.data,
        starts_at=starts_at,
        location=form.location.data or "",
    )


def _notice_form(form: NoticeForm, notice=None):
    if form.validate_on_submit():
        try:
            if notice is None:
                notice = services.create_notice(_form_data(form), current_user, publish=form.publish.data)
            else:
                services.update_notice(notice, _form_data(form), current_user)
                if form.publish.data and not notice.is_published:
                    services.publish_notice(notice, current_user)
        except services.NoticeError as exc:
            refused(exc, form, field="title")
        else:
            db.session.commit()
            flash(_("已发布。") if notice.is_published else _("已保存草稿。"), "success")
            return redirect(url_for("portal.notice", notice_id=notice.id))
    return render_template(
        "portal/notice_form.html", form=form, notice=notice
    ), 422 if form.is_submitted() else 200


@bp.route("/notices/new", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def create_notice():
    form = NoticeForm()
    form.branch_id.choices = services.target_choices(current_user)
    return _notice_form(form)


@bp.route("/notices/<int:notice_id>/edit", methods=["GET", "POST"])
@login_required
def edit_notice(notice_id: int):
    notice = services.get_notice_for(notice_id, current_user, manage=True)
    form = NoticeForm(obj=notice)
    form.branch_id.choices = services.target_choices(current_user)
    if not form.is_submitted():
        form.kind.data = notice.kind.value
        form.branch_id.data = notice.branch_id or 0
        if notice.starts_at:
            form.starts_at.data = notice.starts_at.astimezone(LOCAL_TZ).replace(tzinfo=None)
    return _notice_form(form, notice)


# Alike in shape to kb.views._workflow, kept apart: different loader, rights and redirect.
def _manage_action(notice_id: int, action, success: str, to_list: bool = False):
    notice = services.get_notice_for(notice_id, current_user, manage=True)
    with back_to(url_for("portal.notice", notice_id=notice_id)):
        action(notice)
    db.session.commit()
    flash(success, "success")
    return redirect(url_for("portal.notices") if to_list else url_for("portal.notice", notice_id=notice_id))


@bp.route("/notices/<int:notice_id>/publish", methods=["POST"])
@login_required
def publish_notice(notice_id: int):
    return _manage_action(notice_id, lambda n: services.publish_notice(n, current_user), _("已发布。"))


@bp.route("/notices/<int:notice_id>/withdraw", methods=["POST"])
@login_required
def withdraw_notice(notice_id: int):
    return _manage_action(notice_id, lambda n: services.withdraw_notice(n, current_user), _("已撤回为草稿。"))


@bp.route("/notices/<int:notice_id>/delete", methods=["POST"])
@login_required
def delete_notice(notice_id: int):
    return _manage_action(
        notice_id, lambda n: services.delete_notice(n, current_user), _("已删除。"), to_list=True
    )


@bp.route("/notices/<int:notice_id>/readers")
@login_required
def notice_readers(notice_id: int):
    notice = services.get_notice_for(notice_id, current_user)
    within = services.readers_scope(current_user, notice)
    if within is None:
        abort(403)
    if not notice.is_published:
        abort(404)
    show_read = request.args.get("show") == "read"
    page = db.paginate(
        services.readers_query(notice, within, has_read_it=show_read),
        per_page=current_app.config["ITEMS_PER_PAGE"],
        error_out=False,
    )
    summary = services.receipt_summary(notice, within)
    return render_template(
        "portal/notice_readers.html",
        notice=notice,
        page=page,
        show_read=show_read,
        summary=summary,
        total=sum(row["total"] for row in summary),
        read=sum(row["read"] for row in summary),
        read_at=services.read_times(notice, [u.id for u in page.items]) if show_read else {},
    )
