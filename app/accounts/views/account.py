"""The user's own account: password, login sessions, API tokens."""

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from app.accounts import services
from app.accounts.forms import (
    ChangePasswordForm,
    TokenForm,
)
from app.accounts.models import ApiToken, LoginSession, User
from app.accounts.views import bp, policy
from app.accounts.views.auth import fresh_session, sign_in
from app.core.clock import utcnow
from app.core.permissions import login_required
from app.extensions import db


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
            fresh_session()
            sign_in(user, remember=remember)
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
        fresh_session()
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
    fresh_session()
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
            services.reauthenticate(current_user, form.password.data, request.remote_addr or "", policy())
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
