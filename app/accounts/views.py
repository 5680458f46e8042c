"""Login, logout, the user's own account, and user administration."""

import io

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.accounts import services
from app.accounts.forms import (
    ChangePasswordForm,
    ImportForm,
    LoginForm,
    ResetPasswordForm,
    TokenForm,
    UserForm,
)
from app.accounts.importing import ImportFileError, create_import_job, reveal_import_slips, template_workbook
from app.accounts.models import ApiToken, ImportJob, LoginSession, Role, User
from app.accounts.tasks import import_members_task
from app.config import Config
from app.core import imports
from app.core.clock import utcnow
from app.core.errors import back_to, json_ok, refused
from app.core.permissions import login_required, roles_required
from app.extensions import db, login_manager
from app.org import services as org_services

bp = Blueprint("accounts", __name__)


def _policy() -> services.LoginPolicy:
    return services.LoginPolicy.from_config(current_app.config)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user of a live login session (see :func:`services.user_for_session`)."""
    user, touched = services.user_for_session(session_id, _policy())
    if touched:
        db.session.commit()  # the first thing a request does: nothing else is pending yet
    return user


@bp.before_app_request
def require_password_change():
    """Accounts with an activation code or a reset password must set their own before doing anything
    else. The API answers the same rule itself, in JSON (see ``app.api.authenticate``)."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint
        not in {"accounts.change_password", "accounts.logout", "accounts.set_language", "static"}
        and not (request.endpoint or "").startswith(("bootstrap.", "api."))
    ):
        flash(_("为了账户安全，请先设置新密码。"), "warning")
        return redirect(url_for("accounts.change_password"))
    return None


def _safe_next(target: str | None) -> str:
    # Browsers (and Werkzeug, which writes the Location header) drop tabs and newlines from URLs,
    # so "/\t/evil.example" would become "//evil.example": refuse control characters outright.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ord(c) < 32 or ord(c) == 127 for c in target)
    ):
        return target
    return url_for("portal.home")


def _fresh_session() -> None:
    """Start a new session at login and logout, keeping only the visitor's choice of language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _sign_in(user: User, remember: bool) -> None:
    """Start a recorded login session for ``user`` on this browser (the caller has a fresh session)."""
    services.start_login_session(
        user,
        remember=remember,
        ip=request.remote_addr or "",
        user_agent=request.user_agent.string,
        policy=_policy(),
    )
    db.session.commit()
    login_user(user, remember=remember)
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("portal.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                form.identifier.data, form.password.data, request.remote_addr or "", _policy()
            )
        except services.LoginRefused as exc:
            db.session.commit()  # the failure counts and waits must persist
            status = refused(exc)
        else:
            _fresh_session()
            _sign_in(user, remember=bool(form.remember.data))
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 422
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated and current_user.login_session_id is not None:
        row = db.session.get(LoginSession, current_user.login_session_id)
        if row is not None:
            services.end_login_session(row, actor=current_user)
            db.session.commit()
    # Clear first: logout_user() leaves a note in the session that makes Flask-Login delete the
    # remember-me cookie; clearing afterwards lost it, and the cookie signed the user straight back in.
    _fresh_session()
    logout_user()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    if code not in Config.LANGUAGES:
        abort(404)
    session["lang"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/account")
@login_required
def profile():
    return render_template("accounts/profile.html", user=current_user)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    activating = current_user.password_hash is None
    if form.validate_on_submit():
        this_session = db.session.get(LoginSession, current_user.login_session_id or 0)
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except services.AccountError as exc:
            form.new_password.errors.append(str(exc))
        else:
            # Every session ended with the old password; this browser gets a new one.
            user = db.session.get(User, current_user.id)
            remember = this_session is not None and this_session.is_remembered
            _fresh_session()
            _sign_in(user, remember=remember)
            flash(_("密码已修改，其他设备上的登录已全部退出。"), "success")
            return redirect(url_for("portal.home"))
    return render_template(
        "accounts/change_password.html", form=form, activating=activating
    ), 200 if request.method == "GET" else 422


@bp.route("/account/sessions")
@login_required
def sessions():
    return render_template(
        "accounts/sessions.html",
        sessions=services.active_sessions(current_user),
        current_id=current_user.login_session_id,
    )


def _own_or_404(model, row_id: int):
    """The current user's own login session or API token; 404 for anyone else's, as for none."""
    row = db.session.get(model, row_id)
    if row is None or row.user_id != current_user.id:
        abort(404)
    return row


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_session(session_id: int):
    row = _own_or_404(LoginSession, session_id)
    services.end_login_session(row, actor=current_user)
    db.session.commit()
    if row.id == current_user.login_session_id:
        _fresh_session()
        logout_user()
        flash(_("您已退出登录。"), "info")
        return redirect(url_for("accounts.login"))
    flash(_("已退出该设备。"), "success")
    return redirect(url_for("accounts.sessions"))


@bp.route("/account/sessions/end-all", methods=["POST"])
@login_required
def end_all_sessions():
    user = db.session.get(User, current_user.id)
    services.end_all_sessions(user, actor=user, reason="在所有设备上退出")
    db.session.commit()
    _fresh_session()
    logout_user()
    flash(_("已在所有设备上退出登录。"), "info")
    return redirect(url_for("accounts.login"))


def _token_form() -> TokenForm:
    form = TokenForm()
    form.days.choices = [(d, _("%(days)s 天", days=d)) for d in current_app.config["API_TOKEN_DAY_CHOICES"]]
    if not form.is_submitted():
        form.days.data = current_app.config["API_TOKEN_DAYS"]
    return form


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = _token_form()
    new_token = None
    status = 200
    if form.validate_on_submit():
        try:
            services.reauthenticate(current_user, form.password.data, request.remote_addr or "", _policy())
            _token, new_token = services.issue_api_token(
                current_user,
                form.name.data,
                actor=current_user,
                days=form.days.data,
                read_only=bool(form.read_only.data),
            )
        except services.LoginRefused as exc:
            db.session.commit()  # the failure counts
            form.password.errors.append(str(exc))
            status = exc.status
        except services.AccountError as exc:
            form.name.errors.append(str(exc))
            status = 422
        else:
            db.session.commit()
    elif form.is_submitted():
        status = 422
    items = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.created_at.desc())
    ).all()
    return render_template(
        "accounts/tokens.html", form=form, tokens=items, new_token=new_token, now=utcnow()
    ), status


# Alike in shape to end_session, kept apart: different services and what follows.
@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    token = _own_or_404(ApiToken, token_id)
    services.revoke_api_token(token, actor=current_user)
    db.session.commit()
    flash(_("令牌已吊销。"), "success")
    return redirect(url_for("accounts.tokens"))


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
        category=form.category.data or None,
        joined_party_on=form.joined_party_on.data,
        position=form.position.data or None,
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
            return _activation_slips([(user, code)], back=url_for("accounts.user_detail", user_id=user.id))
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
    # The category is the 发展党员 workflow's result (app.membership): shown here, never typed.
    form.category.data = member.category.value if member.category else ""
    form.category.render_kw = {**(form.category.render_kw or {}), "disabled": True}
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


def _activation_slips(slips: list[tuple[User, str]], back: str, job: ImportJob | None = None):
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
    return _activation_slips([(member, code)], back=back)


@bp.route("/users/import", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def import_users():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            job = create_import_job(
                upload.stream, upload.filename or "upload", current_user, current_app.config["IMPORT_DIR"]
            )
        except ImportFileError as exc:
            form.file.errors.append(str(exc))
        else:
            # Keep the id before committing: reading ``job.id`` afterwards would open a new transaction
            # that an eager (inline) task on SQLite would then wait on for the database lock.
            job_id = job.id
            db.session.commit()
            import_members_task.delay(job_id)
            return redirect(url_for("accounts.import_status", job_id=job_id))
    recent = ImportJob.recent_of(current_user, "members")
    status = 200 if request.method == "GET" else 422
    return render_template("accounts/import.html", form=form, recent=recent), status


def _get_import_job(job_id: int) -> ImportJob:
    job = db.session.get(ImportJob, job_id)
    if job is None or job.kind != "members":
        abort(404)
    if job.created_by_id != current_user.id and not current_user.is_admin:
        abort(403)
    return job


@bp.route("/users/import/<int:job_id>")
@roles_required(Role.COORDINATOR)
def import_status(job_id: int):
    job = _get_import_job(job_id)
    if request.args.get("format") == "json":
        return json_ok(imports.job_status(job))
    return render_template("accounts/import_status.html", job=job)


@bp.route("/users/import/<int:job_id>/slips", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def import_slips(job_id: int):
    """Activation slips of an import: shown once, to the coordinator who ran it, then gone."""
    job = db.session.get(ImportJob, job_id)
    if job is None:
        abort(404)
    if job.created_by_id != current_user.id:
        abort(403)
    if request.method == "POST" and job.slip_secret is not None:
        slips = reveal_import_slips(job, actor=current_user)
        db.session.commit()
        return _activation_slips(slips, back=url_for("accounts.import_status", job_id=job.id), job=job)
    return render_template("accounts/import_slips.html", job=job)


@bp.route("/users/import/template.xlsx")
@roles_required(Role.COORDINATOR)
def import_template():
    return send_file(
        io.BytesIO(template_workbook()),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name="成员导入模板.xlsx",
    )
