"""Login, logout, the user's own account, and user administration.

One blueprint, ``accounts``, shared by the modules of this package, one per area: auth (login,
logout, language), account (the user's own password, sessions and tokens), users (user
administration), member_import (the bulk member import and its activation slips). Each module adds
its routes to :data:`bp` when imported, at the end of this file.

Every view loads what the URL names (404 / 403), validates, calls one service, commits, and
renders or redirects. Because every view takes those same steps, the views here are alike in shape
to each other and to other blueprints' views (and their import blocks to other import blocks):
kept apart on purpose, each names its own loader, service, words and target; a generic view would
hide them.
"""

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import services
from app.accounts.models import User
from app.extensions import db

bp = Blueprint("accounts", __name__)


def policy() -> services.LoginPolicy:
    return services.LoginPolicy.from_config(current_app.config)


def load_user(session_id: str) -> User | None:
    """The user of a live login session (see :func:`services.user_for_session`)."""
    user, touched = services.user_for_session(session_id, policy())
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
        not in {
            "accounts.change_password",
            "accounts.logout",
            "accounts.set_language",
            "accounts.set_care_mode",
            "static",
        }
        and not (request.endpoint or "").startswith(("bootstrap.", "api."))
    ):
        flash(_("为了账户安全，请先设置新密码。"), "warning")
        return redirect(url_for("accounts.change_password"))
    return None


from app.accounts.views import account, auth, member_import, users  # noqa: E402, F401 -- their routes join bp
