"""Account operations. Callers own the transaction; every change is flushed and audited."""

import enum
import logging
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.models import ApiToken, LoginFailure, LoginSession, LoginThrottle, Role, User
from app.accounts.passwords import (
    activation_code_matches,
    hash_activation_code,
    hash_password,
    looks_like_code,
    needs_rehash,
    new_activation_code,
    password_problem,
    verify_password,
)
from app.core import audit, spreadsheets
from app.core.clock import utcnow
from app.core.errors import DomainError
from app.core.signals import user_branch_changed, user_created
from app.core.urls import id_from
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


# --- checking a password or an activation code --------------------------------------------------


class Secret(enum.Enum):
    PASSWORD = enum.auto()
    ACTIVATION_CODE = enum.auto()
    EXPIRED_CODE = enum.auto()
    USED_CODE = enum.auto()
    WRONG = enum.auto()


def _check_secret(user: User | None, typed: str, now: datetime) -> Secret:
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


def _throttle_key(identifier: str) -> str:
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
        try:
            with db.session.begin_nested():
                db.session.add(LoginThrottle(key=key, ip=ip, failures=0, delays=0, last_failure_at=now))
        except sa.exc.IntegrityError:
            pass  # a simultaneous attempt created it first: lock theirs
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
    key = _throttle_key(identifier)
    throttle = _refuse_if_waiting(key, ip, now, policy)

    result = _check_secret(user, password, now)
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
    key = _throttle_key(user.employee_no)
    throttle = _refuse_if_waiting(key, ip, now, policy)
    if _check_secret(user, password, now) is not Secret.PASSWORD:
        refusal = _record_failure(user, key, throttle, user.employee_no, ip, now, policy)
        if refusal.status == 429:
            raise LoginRefused(str(refusal).replace(str(WRONG_CREDENTIALS), _("密码不正确。")), status=429)
        raise LoginRefused(_("密码不正确。"), status=422)


# --- login sessions -----------------------------------------------------------------------------


def start_login_session(
    user: User, *, remember: bool, ip: str, user_agent: str, policy: LoginPolicy
) -> LoginSession:
    """Record a new signed-in browser; ``user.get_id()`` then names it (see :class:`LoginSession`)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = LoginSession(
        user_id=user.id,
        token_hash=LoginSession.hash_token(token),
        auth_nonce=user.auth_nonce,
        is_remembered=remember,
        created_at=now,
        last_seen_at=now,
        expires_at=now + (policy.remember_lifetime if remember else policy.session_lifetime),
        ip=(ip or "")[:45],
        user_agent=(user_agent or "")[:255],
    )
    db.session.add(row)
    db.session.flush()
    user.login_token, user.login_session_id = token, row.id
    return row


def user_for_session(session_id: str, policy: LoginPolicy) -> tuple[User | None, bool]:
    """The user of a live login session named ``"<user id>:<auth nonce>:<token>"``, and whether its
    ``last_seen_at`` moved (the caller commits that). Revoked and expired sessions, and sessions of
    an account whose nonce rotated since, give ``None``: the browser is signed out."""
    user_id, _, rest = session_id.partition(":")
    nonce, _, token = rest.partition(":")
    if id_from(user_id) is None or not nonce or not token or len(token) > 100:
        return None, False
    found = db.session.execute(
        sa.select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.token_hash == LoginSession.hash_token(token))
    ).first()
    if found is None:
        return None, False
    row, user = found
    now = utcnow()
    if (
        str(row.user_id) != user_id
        or not row.is_live(now)
        or not (row.auth_nonce == user.auth_nonce == nonce)
        or not user.is_active_account
    ):
        return None, False
    touched = now - row.last_seen_at >= SESSION_TOUCH_INTERVAL
    if touched:
        row.last_seen_at = now
        if not row.is_remembered:
            row.expires_at = now + policy.session_lifetime
    user.login_token, user.login_session_id = token, row.id
    return user, touched


def active_sessions(user: User) -> list[LoginSession]:
    now = utcnow()
    return list(
        db.session.scalars(
            sa.select(LoginSession)
            .where(
                LoginSession.user_id == user.id,
                LoginSession.revoked_at.is_(None),
                LoginSession.expires_at > now,
                LoginSession.auth_nonce == user.auth_nonce,
            )
            .order_by(LoginSession.last_seen_at.desc())
        )
    )


def end_login_session(row: LoginSession, actor: User) -> None:
    """Sign one browser out (logout, or "退出此设备" on the sessions page)."""
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        if row.user_id != actor.id or row.id != getattr(actor, "login_session_id", None):
            audit.record(actor, "user.session_revoke", row, f"退出设备 {row.device}（{row.ip}）")
    db.session.flush()


def end_all_sessions(user: User, actor: User | None, reason: str | None = None) -> None:
    """Sign the account out everywhere: a new auth nonce invalidates every session and remember-me
    cookie, and the rows are marked revoked so the sessions page is truthful. Audited with
    ``reason`` when given (callers that audit their own change, e.g. a password reset, pass none)."""
    user.auth_nonce = secrets.token_hex(16)
    now = utcnow()
    db.session.execute(
        sa.update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    # API tokens too: one minted with a stolen password must not outlive the owner's reset.
    db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if reason:
        audit.record(actor, "user.sessions_end", user, reason)
    db.session.flush()


def _is_self(user: User, actor: User | None) -> bool:
    # Compare ids, not objects: views pass Flask-Login's ``current_user`` proxy, never ``is`` a User.
    return actor is not None and actor.id == user.id


def unlock_user(user: User, actor: User) -> None:
    """Lift every source's wait for ``user`` (the owner asked an admin for help)."""
    names = [_throttle_key(user.employee_no)] + ([_throttle_key(user.mobile)] if user.mobile else [])
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key.in_(names)))
    user.failed_logins = 0
    user.locked_until = None
    audit.record(actor, "user.unlock", user, f"解锁账户 {user}")
    db.session.flush()


def set_password(user: User, new_password: str, actor: User | None, *, must_change: bool = False) -> None:
    """Set a password after checking the policy; an admin reset can require a change at next login.

    Every session of the account ends (a self-service change starts a new one for the browser that
    made it); an activation code, if any, is used up.
    """
    problem = password_problem(new_password, employee_no=user.employee_no, mobile=user.mobile)
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(new_password)
    user.must_change_password = must_change
    if user.activation_code_hash is not None and user.activation_used_at is None:
        user.activation_used_at = utcnow()
    audit.record(actor, "user.password", user, "修改密码" if _is_self(user, actor) else "重置密码")
    end_all_sessions(user, actor)


def change_password(user: User, current_password: str, new_password: str) -> None:
    """The member's own change; the current password is the activation code before the first one."""
    if _check_secret(user, current_password, utcnow()) not in {Secret.PASSWORD, Secret.ACTIVATION_CODE}:
        raise AccountError(_("当前密码不正确"))
    if current_password == new_password:
        raise AccountError(_("新密码不能与当前密码相同"))
    set_password(user, new_password, actor=user)


def issue_activation_code(user: User, actor: User | None, *, days: int) -> str:
    """A new one-time activation code for a member who has not set a password yet; returned once.

    Replaces any earlier code and ends sessions opened with it (it may have been seen by others).
    """
    if user.password_hash is not None:
        raise AccountError(_("该成员已设置密码，无需激活码；如忘记密码请联系管理员重置。"))
    if actor is not None and not actor.is_admin and user.roles - {Role.MEMBER}:
        # Whoever holds the code holds the account: a coordinator must not open a trainer's,
        # a fellow coordinator's or an admin's account that way.
        raise AccountError(_("只有管理员可以为讲师、组织员或管理员账户生成激活码。"), 403)
    code = new_activation_code()
    set_activation_code(user, hash_activation_code(code), utcnow() + timedelta(days=days))
    user.must_change_password = True
    audit.record(actor, "user.activation_code", user, f"为 {user} 生成激活码")
    end_all_sessions(user, actor)
    return code


def set_activation_code(user: User, code_hash: str, expires_at: datetime) -> None:
    user.activation_code_hash = code_hash
    user.activation_expires_at = expires_at
    user.activation_used_at = None


@dataclass
class UserData:
    """The fields of an account that admins edit and imports write."""

    employee_no: str
    name: str
    gender: str | None = None
    mobile: str | None = None
    branch_id: int | None = None
    category: str | None = None
    joined_party_on: object = None
    position: str | None = None


def _check_unique(data: UserData, user: User | None) -> None:
    query = sa.select(User.id).where(User.employee_no == data.employee_no)
    if user is not None:
        query = query.where(User.id != user.id)
    if db.session.scalar(query) is not None:
        raise AccountError(_("工号 %(employee_no)s 已被使用", employee_no=data.employee_no))
    if data.mobile:
        query = sa.select(User.id).where(User.mobile == data.mobile)
        if user is not None:
            query = query.where(User.id != user.id)
        if db.session.scalar(query) is not None:
            raise AccountError(_("手机号 %(mobile)s 已被其他账户使用", mobile=data.mobile))


def _validate(data: UserData) -> UserData:
    data.employee_no = (data.employee_no or "").strip()
    data.name = (data.name or "").strip()
    data.mobile = normalize_mobile(data.mobile)
    if not EMPLOYEE_NO_RE.match(data.employee_no):
        raise AccountError(_("工号须为 1–32 位字母、数字、下划线或连字符"))
    if not data.name:
        raise AccountError(_("姓名不能为空"))
    if len(data.name) > 64:
        raise AccountError(_("姓名不能超过 64 个字"))
    if spreadsheets.starts_like_formula(data.name):  # it would run as a formula in an export
        raise AccountError(_("姓名不能以 =、+、-、@ 开头"))
    if data.mobile and not MOBILE_RE.match(data.mobile):
        raise AccountError(_("手机号 %(mobile)s 格式不正确，应为 11 位大陆手机号", mobile=data.mobile))
    return data


def _apply(user: User, data: UserData) -> None:
    user.employee_no = data.employee_no
    user.name = data.name
    user.gender = data.gender or None
    user.mobile = data.mobile
    user.branch_id = data.branch_id
    user.category = data.category or None
    user.joined_party_on = data.joined_party_on
    user.position = data.position or None


def create_user(data: UserData, roles, actor: User | None, password: str | None = None) -> User:
    """Create an account. Without ``password`` it has no way in until the caller issues an activation
    code (:func:`issue_activation_code`), which the member uses once to set their own password."""
    data = _validate(data)
    _check_unique(data, None)
    user = User()
    _apply(user, data)
    user.set_roles(roles or [Role.MEMBER])
    if password is not None:
        problem = password_problem(password, employee_no=data.employee_no, mobile=data.mobile)
        if problem:
            raise AccountError(problem)
        user.password_hash = hash_password(password)
    else:
        user.must_change_password = True
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", user, f"创建账户 {user}")
    user_created.send(user, actor=actor)
    return user


def update_user(user: User, data: UserData, roles, actor: User) -> User:
    data = _validate(data)
    _check_unique(data, user)
    old_branch_id = user.branch_id
    before = {
        "branch_id": user.branch_id,
        "roles": sorted(user.roles),
        "mobile": user.mobile,
        "name": user.name,
    }
    _apply(user, data)
    if roles is not None:
        if (
            _is_self(user, actor)
            and Role.ADMIN in before["roles"]
            and Role.ADMIN not in {Role(r) for r in roles}
        ):
            raise AccountError(_("不能取消自己的管理员角色"))
        user.set_roles(roles)
    db.session.flush()
    after = {
        "branch_id": user.branch_id,
        "roles": sorted(user.roles),
        "mobile": user.mobile,
        "name": user.name,
    }
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    audit.record(actor, "user.update", user, f"修改账户 {user}", {"changed": changed})
    if old_branch_id != user.branch_id:
        user_branch_changed.send(user, actor=actor, old_branch_id=old_branch_id)
    return user


def set_user_active(user: User, is_active: bool, actor: User) -> None:
    if _is_self(user, actor) and not is_active:
        raise AccountError(_("不能停用自己的账户"))
    user.is_active_account = is_active
    audit.record(
        actor,
        "user.enable" if is_active else "user.disable",
        user,
        ("启用" if is_active else "停用") + str(user),
    )
    if not is_active:
        end_all_sessions(user, actor)
    db.session.flush()


def issue_api_token(
    user: User, name: str, actor: User | None, *, days: int = 90, read_only: bool = False
) -> tuple[ApiToken, str]:
    """Create a personal API token; the plain token is returned once and never stored.

    Pages ask for the password first (:func:`reauthenticate`); the shell (``flask users token``)
    is trusted as it is.
    """
    name = (name or "").strip() or "API"
    if len(name) > 64:
        raise AccountError(_("令牌名称不能超过 64 个字"))
    if not 1 <= days <= 366:
        raise AccountError(_("令牌有效期须为 1–366 天"))
    plain = "hk_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=ApiToken.hash_token(plain),
        prefix=plain[:10],
        expires_at=utcnow() + timedelta(days=days),
        is_read_only=read_only,
    )
    db.session.add(token)
    db.session.flush()
    scope = "只读" if read_only else "读写"
    audit.record(actor, "token.create", token, f"为 {user} 创建 API 令牌 {name}（{scope}，{days} 天）")
    return token, plain


def revoke_api_token(token: ApiToken, actor: User) -> None:
    token.revoked_at = utcnow()
    audit.record(actor, "token.revoke", token, f"吊销 API 令牌 {token.name}")
    db.session.flush()


def authenticate_api_token(plain: str) -> ApiToken:
    """The live token ``plain`` of an active account, or :class:`TokenRefused` saying why."""
    if not plain.startswith("hk_") or len(plain) > 100:
        raise TokenRefused(_("API 令牌无效或已吊销。"))
    token = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.token_hash == ApiToken.hash_token(plain))
    ).first()
    if token is None or token.revoked_at is not None or not token.user.is_active_account:
        raise TokenRefused(_("API 令牌无效或已吊销。"))
    now = utcnow()
    if token.expires_at <= now:
        raise TokenRefused(_("API 令牌已过期，请在“API 令牌”页面创建新令牌。"))
    # Written at most once a minute, so scripts polling the API do not turn every read into a write.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return token


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
