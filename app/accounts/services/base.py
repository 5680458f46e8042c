"""Accounts' shared vocabulary: errors, the login policy, finding a user by what they type."""

import logging
import re
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.core.errors import DomainError
from app.extensions import db

logger = logging.getLogger(__name__)

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
EMPLOYEE_NO_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
#: How often a live session's ``last_seen_at`` is written: page views do not each cost a write.
SESSION_TOUCH_INTERVAL = timedelta(minutes=1)
WRONG_CREDENTIALS = _l("账号或密码错误。")


class AccountError(DomainError):
    """A problem the user caused."""


class LoginRefused(AccountError):
    """Login refused; ``status`` is the HTTP status a view should answer with."""

    status = 401


class TokenRefused(AccountError):
    """An API token that does not authenticate (unknown, revoked, expired, disabled account)."""

    status = 401


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int
    lock_minutes: int
    ip_max_failures: int
    ip_window_minutes: int
    #: A login without "remember me" ends after this long without a request.
    session_lifetime: timedelta = timedelta(hours=12)
    #: A "remember me" login ends this long after it started.
    remember_lifetime: timedelta = timedelta(days=14)

    @classmethod
    def from_config(cls, config) -> "LoginPolicy":
        return cls(
            max_failures=config["LOGIN_MAX_FAILURES"],
            lock_minutes=config["LOGIN_LOCK_MINUTES"],
            ip_max_failures=config["LOGIN_IP_MAX_FAILURES"],
            ip_window_minutes=config["LOGIN_IP_WINDOW_MINUTES"],
            session_lifetime=config["PERMANENT_SESSION_LIFETIME"],
            remember_lifetime=config["REMEMBER_COOKIE_DURATION"],
        )

    def wait_for(self, delays: int) -> timedelta:
        """The wait given to a source for the ``delays``-th time: 1, 2, 4 ... minutes, capped."""
        return timedelta(minutes=min(2 ** min(delays, 20), max(1, self.lock_minutes)))


def normalize_mobile(value: str | None) -> str | None:
    if value is None:
        return None
    digits = re.sub(r"[\s-]", "", str(value))
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits or None


def find_user_by_login(identifier: str) -> User | None:
    """The user whose employee number or mobile is ``identifier``."""
    identifier = identifier.strip()
    if not identifier:
        return None
    query = sa.select(User).where(User.employee_no == identifier)
    user = db.session.scalars(query).first()
    if user is None and MOBILE_RE.match(normalize_mobile(identifier) or ""):
        user = db.session.scalars(sa.select(User).where(User.mobile == normalize_mobile(identifier))).first()
    return user
