"""Signing in and out, and the visitor's choice of language."""

# Views alike in shape to other views by design, kept apart: see this package's docstring.

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.accounts import services
from app.accounts.forms import (
    LoginForm,
)
from app.accounts.models import LoginSession, User
from app.accounts.views import bp, policy
from app.config import Config
from app.core.errors import refused
from app.extensions import db


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


def fresh_session() -> None:
    """Start a new session at login and logout, keeping only the visitor's choice of language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def sign_in(user: User, remember: bool) -> None:
    """Start a recorded login session for ``user`` on this browser (the caller has a fresh session)."""
    services.start_login_session(
        user,
        remember=remember,
        ip=request.remote_addr or "",
        user_agent=request.user_agent.string,
        policy=policy(),
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
                form.identifier.data, form.password.data, request.remote_addr or "", policy()
            )
        except services.LoginRefused as exc:
            db.session.commit()  # the failure counts and waits must persist
            status = refused(exc)
        else:
            fresh_session()
            sign_in(user, remember=bool(form.remember.data))
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
    fresh_session()
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


#: The cookie that keeps 关怀版 on before login (the login page) and on this device after logout.
CARE_COOKIE = "hk_care"


def care_mode_on() -> bool:
    """Whether this page is drawn in 关怀版: the member's choice, or the device's before login."""
    if current_user.is_authenticated:
        return bool(current_user.care_mode)
    return request.cookies.get(CARE_COOKIE) == "1"


@bp.route("/care-mode", methods=["POST"])
def set_care_mode():
    on = request.form.get("on") == "1"
    if current_user.is_authenticated:
        services.set_care_mode(current_user, on)
        db.session.commit()
    response = redirect(_safe_next(request.form.get("next")))
    if on:
        response.set_cookie(
            CARE_COOKIE, "1", max_age=365 * 24 * 3600, httponly=True, samesite="Lax", secure=request.is_secure
        )
    else:
        response.delete_cookie(CARE_COOKIE)
    return response
