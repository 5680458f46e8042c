"""Checking a password or an activation code, login throttling, re-authentication."""

import enum
import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts.models import LoginFailure, LoginSession, LoginThrottle, User
from app.accounts.passwords import (
    activation_code_matches,
    hash_password,
    looks_like_code,
    needs_rehash,
    verify_password,
)
from app.accounts.services.base import (
    MOBILE_RE,
    WRONG_CREDENTIALS,
    LoginPolicy,
    LoginRefused,
    find_user_by_login,
    normalize_mobile,
)
from app.core import audit
from app.core.clock import utcnow
from app.core.transactions import insert_in_savepoint
from app.extensions import db

# --- checking a password or an activation code --------------------------------------------------


class Secret(enum.Enum):
    PASSWORD = enum.auto()
    ACTIVATION_CODE = enum.auto()
    EXPIRED_CODE = enum.auto()
    USED_CODE = enum.auto()
    WRONG = enum.auto()


def check_secret(user: User | None, typed: str, now: datetime) -> Secret:
    """What ``typed`` is for ``user``. The same work is done whoever asks: one Argon2 verification
    (against a dummy hash for unknown accounts and accounts without a password) and one HMAC
    comparison, so the answer time says nothing about which accounts exist."""
    password_ok = verify_password(user.password_hash if user else None, typed)
    code_ok = activation_code_matches(user.activation_code_hash if user else None, typed)
    if user is None:
        return Secret.WRONG
    if password_ok:
        return Secret.PASSWORD
    if code_ok and looks_like_code(typed):
        if user.password_hash is not None or user.activation_used_at is not None:
            return Secret.USED_CODE
        if user.activation_expires_at is None or user.activation_expires_at <= now:
            return Secret.EXPIRED_CODE
        return Secret.ACTIVATION_CODE
    return Secret.WRONG


def throttle_key(identifier: str) -> str:
    """Failures are counted by the login name as typed (a mobile in any spelling counts as one), for
    real and unknown accounts alike: a count shared by an account's 工号 and mobile would tell a
    guesser that the two belong together."""
    name = (identifier or "").strip()
    mobile = normalize_mobile(name)
    if mobile and MOBILE_RE.match(mobile):
        name = mobile
    return f"n:{name[:78]}"


def _locked_throttle(key: str, ip: str, now: datetime) -> LoginThrottle:
    """The (account, address) counter, created if need be and locked for this transaction, so that a
    burst of simultaneous guesses is counted one after another instead of all passing the check."""
    throttle = db.session.get(LoginThrottle, (key, ip), with_for_update=True)
    if throttle is None:
        # False when a simultaneous attempt created it first: lock theirs
        insert_in_savepoint(LoginThrottle(key=key, ip=ip, failures=0, delays=0, last_failure_at=now))
        throttle = db.session.get(LoginThrottle, (key, ip), with_for_update=True, populate_existing=True)
    return throttle


def _refuse_if_waiting(key: str, ip: str, now: datetime, policy: LoginPolicy) -> LoginThrottle:
    """Refuse (429) while the per-address limit or this source's wait for ``key`` holds."""
    window_start = now - timedelta(minutes=policy.ip_window_minutes)
    ip_failures = db.session.scalar(
        sa.select(sa.func.count()).where(LoginFailure.ip == ip, LoginFailure.occurred_at > window_start)
    )
    if ip_failures >= policy.ip_max_failures:
        raise LoginRefused(
            _(
                "登录失败次数过多，请 %(ip_window_minutes)s 分钟后再试。",
                ip_window_minutes=policy.ip_window_minutes,
            ),
            status=429,
        )
    throttle = _locked_throttle(key, ip, now)
    if throttle.wait_until is not None and throttle.wait_until > now:
        minutes = max(1, math.ceil((throttle.wait_until - now).total_seconds() / 60))
        raise LoginRefused(
            _("该账号从您的网络登录失败次数过多，请 %(minutes)s 分钟后再试。", minutes=minutes), status=429
        )
    return throttle


def _record_failure(
    user: User | None,
    key: str,
    throttle: LoginThrottle,
    identifier: str,
    ip: str,
    now: datetime,
    policy: LoginPolicy,
) -> LoginRefused:
    """Count a wrong password for the address and for (account, address); the refusal to raise."""
    db.session.add(LoginFailure(ip=ip, identifier=identifier[:64], occurred_at=now))
    throttle.failures += 1
    throttle.last_failure_at = now
    refusal = LoginRefused(WRONG_CREDENTIALS)
    if throttle.failures >= policy.max_failures:
        wait = policy.wait_for(throttle.delays)
        throttle.delays += 1
        throttle.wait_until = now + wait
        minutes = math.ceil(wait.total_seconds() / 60)
        refusal = LoginRefused(
            _(
                "%(wrong)s从您的网络登录该账号失败次数过多，请 %(minutes)s 分钟后再试。",
                wrong=WRONG_CREDENTIALS,
                minutes=minutes,
            ),
            status=429,
        )
    if user is not None:
        user.failed_logins += 1
        if throttle.wait_until is not None and (
            user.locked_until is None or user.locked_until < throttle.wait_until
        ):
            user.locked_until = throttle.wait_until
        if refusal.status == 429 and throttle.delays == 1:
            audit.record(
                None, "user.lock", user, f"来自 {ip} 的登录连续失败 {throttle.failures} 次，该地址须等待"
            )
    db.session.flush()
    return refusal


def authenticate(identifier: str, password: str, ip: str, policy: LoginPolicy) -> User:
    """Check a login attempt and return the user, or raise :class:`LoginRefused` with the reason.

    Unknown accounts and wrong passwords get the same answer after the same work. Failures are
    counted per address (too many from one address: 429 for a while) and per (account, address):
    that source then waits longer and longer for that account, while its owner, elsewhere, can
    still log in. Disabled accounts are refused (403) once the password is right. A member who has
    not set a password yet logs in with their activation code and must then set one.
    """
    now = utcnow()
    user = find_user_by_login(identifier)
    key = throttle_key(identifier)
    throttle = _refuse_if_waiting(key, ip, now, policy)

    result = check_secret(user, password, now)
    if result is Secret.EXPIRED_CODE:
        raise LoginRefused(_("激活码已过期，请联系本单位组织员重新获取。"))
    if result is Secret.USED_CODE:
        raise LoginRefused(_("该激活码已经使用过，请用您设置的密码登录；忘记密码请联系组织员或管理员。"))
    if result is Secret.WRONG:
        raise _record_failure(user, key, throttle, identifier, ip, now, policy)

    if not user.is_active_account:
        raise LoginRefused(_("账户已停用，请联系管理员。"), status=403)

    db.session.delete(throttle)  # this source starts afresh; other sources keep their count
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if result is Secret.ACTIVATION_CODE:
        user.must_change_password = True
    elif needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.flush()
    return user


def reauthenticate(user: User, password: str, ip: str, policy: LoginPolicy) -> None:
    """Ask a signed-in user for their password again before a sensitive step (a new API token):
    a copied session cookie alone must not be enough. Throttled like a login."""
    now = utcnow()
    key = throttle_key(user.employee_no)
    throttle = _refuse_if_waiting(key, ip, now, policy)
    if check_secret(user, password, now) is not Secret.PASSWORD:
        refusal = _record_failure(user, key, throttle, user.employee_no, ip, now, policy)
        if refusal.status == 429:
            raise LoginRefused(str(refusal).replace(str(WRONG_CREDENTIALS), _("密码不正确。")), status=429)
        raise LoginRefused(_("密码不正确。"), status=422)


def purge_login_failures(older_than: timedelta) -> int:
    """Forget failures (per address, and per account and address) older than ``older_than``, and
    sessions that ended that long ago."""
    cutoff = utcnow() - older_than
    result = db.session.execute(sa.delete(LoginFailure).where(LoginFailure.occurred_at < cutoff))
    db.session.execute(
        sa.delete(LoginThrottle).where(
            LoginThrottle.last_failure_at < cutoff,
            sa.or_(LoginThrottle.wait_until.is_(None), LoginThrottle.wait_until < cutoff),
        )
    )
    db.session.execute(
        sa.delete(LoginSession).where(
            sa.or_(LoginSession.expires_at < cutoff, LoginSession.revoked_at < cutoff)
        )
    )
    return result.rowcount or 0
