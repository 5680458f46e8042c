"""Access checks shared by every blueprint. Domain-specific checks (a coordinator's branch scope)
live in the owning domain, e.g. :mod:`app.org.services`."""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user
from flask_login import login_required as _login_required

login_required = _login_required


def roles_required(*roles: str) -> Callable:
    """Allow users holding any of ``roles`` (admins hold every permission); 403 for others."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_any_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
