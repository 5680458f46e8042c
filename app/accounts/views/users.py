"""User administration (coordinators within their branches, admins everywhere)."""

# Views alike in shape to other views by design, kept apart: see this package's docstring.

from flask import (
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import services
from app.accounts.forms import (
    ResetPasswordForm,
    UserForm,
)
from app.accounts.models import CATEGORY_LABELS, ImportJob, Role, User
from app.accounts.views import bp
from app.core.errors import back_to, refused
from app.core.permissions import login_required, roles_required
from app.extensions import db
from app.org import services as org_services

# --- user administration ------------------------------------------------------------------------


@bp.route("/users")
@roles_required(Role.COORDINATOR)
def users():
    branch_id = request.args.get("branch", type=int)
    branch = org_services.get_branch_for(branch_id, current_user) if branch_id else None
    query = org_services.members_query(
        current_user, branch, search=request.args.get("q"), category=request.args.get("category") or None
    )
    page = db.paginate(query, per_page=current_app.config["ITEMS_PER_PAGE"], error_out=False)
    return render_template(
        "accounts/users.html",
        page=page,
        branch=branch,
        branches=org_services.ordered_tree(org_services.visible_branches(current_user)),
        categories=CATEGORY_LABELS,
    )


@bp.route("/users/<int:user_id>")
@login_required
def user_detail(user_id: int):
    member = org_services.get_member_for(user_id, current_user)
    if member.id == current_user.id and not current_user.has_any_role(Role.COORDINATOR):
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/user_detail.html", member=member, reset_form=ResetPasswordForm())


def _branch_choices(user: User) -> list[tuple[int, str]]:
    branches = org_services.visible_branches(user)
    by_id = {b.id: b for b in branches}
    return [
        (b.id, "　" * (b.depth - (branches[0].depth if branches else 0)) + b.name)
        for b in org_services.ordered_tree(list(by_id.values()))
    ]


def _user_data(form: UserForm) -> services.UserData:
    return services.UserData(
        employee_no=form.employee_no.data,
        name=form.name.data,
        gender=form.gender.data or None,
        mobile=form.mobile.data,
        branch_id=form.branch_id.data,
        joined_party_on=form.joined_party_on.data,
        position=form.position.data or None,
        birth_date=form.birth_date.data,
        education=form.education.data or None,
    )


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def create_user():
    form = UserForm()
    form.branch_id.choices = _branch_choices(current_user)
    if form.validate_on_submit():
        try:
            user = services.create_user(
                _user_data(form),
                form.roles.data or [Role.MEMBER],
                actor=current_user,
                password=form.password.data or None,
            )
        except services.AccountError as exc:
            refused(exc)
        else:
            if form.password.data:
                db.session.commit()
                flash(_("已创建账户 %(user)s。", user=str(user)), "success")
                return redirect(url_for("accounts.user_detail", user_id=user.id))
            code = services.issue_activation_code(
                user, actor=current_user, days=current_app.config["ACTIVATION_CODE_DAYS"]
            )
            db.session.commit()
            return activation_slips([(user, code)], back=url_for("accounts.user_detail", user_id=user.id))
    elif not form.is_submitted():
        form.roles.data = [Role.MEMBER.value]
    return render_template(
        "accounts/user_form.html", form=form, member=None
    ), 200 if request.method == "GET" else 422


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id: int):
    member = org_services.get_member_for(user_id, current_user)
    form = UserForm(obj=member)
    del form.password
    form.branch_id.choices = _branch_choices(current_user)
    if not form.is_submitted():
        form.roles.data = [r.value for r in member.roles]
        form.gender.data = member.gender.value if member.gender else ""
        form.position.data = member.position.value if member.position else ""
    if form.validate_on_submit():
        try:
            services.update_user(member, _user_data(form), form.roles.data, actor=current_user)
        except services.AccountError as exc:
            refused(exc)
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for("accounts.user_detail", user_id=member.id))
    return render_template(
        "accounts/user_form.html", form=form, member=member
    ), 200 if request.method == "GET" else 422


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@roles_required(Role.ADMIN)
def unlock_user(user_id: int):
    member = org_services.get_member_for(user_id, current_user)
    services.unlock_user(member, actor=current_user)
    db.session.commit()
    flash(_("账户已解锁。"), "success")
    return redirect(url_for("accounts.user_detail", user_id=member.id))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles_required(Role.ADMIN)
def set_user_active(user_id: int):
    member = org_services.get_member_for(user_id, current_user)
    back = url_for("accounts.user_detail", user_id=member.id)
    with back_to(back):
        services.set_user_active(member, request.form.get("active") == "1", actor=current_user)
    db.session.commit()
    flash(_("账户已启用。") if member.is_active_account else _("账户已停用。"), "success")
    return redirect(back)


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@roles_required(Role.ADMIN)
def reset_password(user_id: int):
    member = org_services.get_member_for(user_id, current_user)
    form = ResetPasswordForm()
    back = url_for("accounts.user_detail", user_id=member.id)
    if not form.validate_on_submit():
        flash(_("新密码至少 8 位。"), "danger")
        return redirect(back)
    with back_to(back):
        services.set_password(member, form.new_password.data, actor=current_user, must_change=True)
    db.session.commit()
    flash(_("密码已重置，用户下次登录时须修改。"), "success")
    return redirect(back)


def activation_slips(slips: list[tuple[User, str]], back: str, job: ImportJob | None = None):
    """The one and only showing of activation codes: a printable page, one slip per member. It is
    never cached, and nothing on the server can show these codes again."""
    response = make_response(
        render_template("accounts/activation_slips.html", slips=slips, back=back, job=job)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/users/<int:user_id>/activation-code", methods=["POST"])
@roles_required(Role.COORDINATOR)
def issue_activation_code(user_id: int):
    member = org_services.get_member_for(user_id, current_user)
    back = url_for("accounts.user_detail", user_id=member.id)
    with back_to(back):
        code = services.issue_activation_code(
            member, actor=current_user, days=current_app.config["ACTIVATION_CODE_DAYS"]
        )
    db.session.commit()
    return activation_slips([(member, code)], back=back)
