"""Account operations. Callers own the transaction; every change is flushed and audited."""

import hmac
import logging
import math
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from app.accounts.models import ApiToken, LoginFailure, Role, User
from app.accounts.passwords import hash_password, needs_rehash, password_problem, verify_password
from app.core import audit
from app.core.clock import utcnow
from app.core.signals import user_branch_changed, user_created
from app.extensions import db

logger = logging.getLogger(__name__)

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
EMPLOYEE_NO_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class AccountError(ValueError):
    """A problem the user caused, with a message in Chinese."""


class LoginRefused(AccountError):
    """Login refused; ``status`` is the HTTP status a view should answer with."""

    def __init__(self, message: str, status: int = 200):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int
    lock_minutes: int
    ip_max_failures: int
    ip_window_minutes: int

    @classmethod
    def from_config(cls, config) -> "LoginPolicy":
        return cls(
            max_failures=config["LOGIN_MAX_FAILURES"],
            lock_minutes=config["LOGIN_LOCK_MINUTES"],
            ip_max_failures=config["LOGIN_IP_MAX_FAILURES"],
            ip_window_minutes=config["LOGIN_IP_WINDOW_MINUTES"],
        )


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


def _password_matches(user: User, password: str) -> bool:
    if user.password_hash is None:
        # Imported account not yet activated: the initial password is the mobile's last six digits.
        return bool(user.mobile) and hmac.compare_digest(password.encode(), user.mobile[-6:].encode())
    return verify_password(user.password_hash, password)


def authenticate(identifier: str, password: str, ip: str, policy: LoginPolicy) -> User:
    """Check a login attempt and return the user, or raise :class:`LoginRefused` with the reason.

    Refuses when the IP has failed too often in the window (429), when the account is locked
    (even with the right password), when the account is disabled, or when the password is wrong.
    """
    now = utcnow()
    window_start = now - timedelta(minutes=policy.ip_window_minutes)
    ip_failures = db.session.scalar(
        sa.select(sa.func.count()).where(LoginFailure.ip == ip, LoginFailure.occurred_at > window_start)
    )
    if ip_failures >= policy.ip_max_failures:
        raise LoginRefused(f"登录失败次数过多，请 {policy.ip_window_minutes} 分钟后再试。", status=429)

    user = find_user_by_login(identifier)
    if user is not None and user.is_locked(now):
        minutes = max(1, math.ceil((user.locked_until - now).total_seconds() / 60))
        raise LoginRefused(
            f"密码错误次数过多，账户已锁定，请 {minutes} 分钟后再试或联系管理员解锁。", status=423
        )

    if user is None or not _password_matches(user, password):
        db.session.add(LoginFailure(ip=ip, identifier=identifier[:64], occurred_at=now))
        if user is not None:
            if user.locked_until is not None:  # an expired lock: start counting afresh
                user.locked_until = None
                user.failed_logins = 0
            user.failed_logins += 1
            if user.failed_logins >= policy.max_failures:
                user.locked_until = now + timedelta(minutes=policy.lock_minutes)
                audit.record(None, "user.lock", user, f"连续 {user.failed_logins} 次密码错误，账户锁定")
                db.session.flush()
                raise LoginRefused(
                    f"密码错误次数过多，账户已锁定，请 {policy.lock_minutes} 分钟后再试或联系管理员解锁。",
                    status=423,
                )
            remaining = policy.max_failures - user.failed_logins
            db.session.flush()
            if remaining <= 3:
                raise LoginRefused(
                    f"账号或密码错误。再错 {remaining} 次账户将被锁定 {policy.lock_minutes} 分钟。"
                )
        db.session.flush()
        raise LoginRefused("账号或密码错误。")

    if not user.is_active_account:
        raise LoginRefused("账户已停用，请联系管理员。", status=403)

    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if user.password_hash is not None and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.flush()
    return user


def _is_self(user: User, actor: User | None) -> bool:
    # Compare ids, not objects: views pass Flask-Login's ``current_user`` proxy, never ``is`` a User.
    return actor is not None and actor.id == user.id


def unlock_user(user: User, actor: User) -> None:
    user.failed_logins = 0
    user.locked_until = None
    audit.record(actor, "user.unlock", user, f"解锁账户 {user}")
    db.session.flush()


def set_password(user: User, new_password: str, actor: User | None, *, must_change: bool = False) -> None:
    """Set a password after checking the policy; an admin reset can require a change at next login."""
    problem = password_problem(new_password)
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(new_password)
    user.must_change_password = must_change
    audit.record(actor, "user.password", user, "修改密码" if _is_self(user, actor) else "重置密码")
    db.session.flush()


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not _password_matches(user, current_password):
        raise AccountError("当前密码不正确")
    if current_password == new_password:
        raise AccountError("新密码不能与当前密码相同")
    set_password(user, new_password, actor=user)


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
        raise AccountError(f"工号 {data.employee_no} 已被使用")
    if data.mobile:
        query = sa.select(User.id).where(User.mobile == data.mobile)
        if user is not None:
            query = query.where(User.id != user.id)
        if db.session.scalar(query) is not None:
            raise AccountError(f"手机号 {data.mobile} 已被其他账户使用")


def _validate(data: UserData) -> UserData:
    data.employee_no = (data.employee_no or "").strip()
    data.name = (data.name or "").strip()
    data.mobile = normalize_mobile(data.mobile)
    if not EMPLOYEE_NO_RE.match(data.employee_no):
        raise AccountError("工号须为 1–32 位字母、数字、下划线或连字符")
    if not data.name:
        raise AccountError("姓名不能为空")
    if len(data.name) > 64:
        raise AccountError("姓名不能超过 64 个字")
    if data.mobile and not MOBILE_RE.match(data.mobile):
        raise AccountError(f"手机号 {data.mobile} 格式不正确，应为 11 位大陆手机号")
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
    """Create an account. Without ``password`` it starts with the mobile-based initial password."""
    data = _validate(data)
    _check_unique(data, None)
    user = User()
    _apply(user, data)
    user.set_roles(roles or [Role.MEMBER])
    if password is not None:
        problem = password_problem(password)
        if problem:
            raise AccountError(problem)
        user.password_hash = hash_password(password)
    else:
        if not data.mobile:
            raise AccountError("未设置密码的账户必须填写手机号（初始密码为手机号后 6 位）")
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
            raise AccountError("不能取消自己的管理员角色")
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
        raise AccountError("不能停用自己的账户")
    user.is_active_account = is_active
    audit.record(
        actor,
        "user.enable" if is_active else "user.disable",
        user,
        ("启用" if is_active else "停用") + str(user),
    )
    db.session.flush()


def issue_api_token(user: User, name: str, actor: User | None) -> tuple[ApiToken, str]:
    """Create a personal API token; the plain token is returned once and never stored."""
    name = (name or "").strip() or "API"
    if len(name) > 64:
        raise AccountError("令牌名称不能超过 64 个字")
    plain = "hk_" + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=ApiToken.hash_token(plain), prefix=plain[:10])
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "token.create", token, f"为 {user} 创建 API 令牌 {name}")
    return token, plain


def revoke_api_token(token: ApiToken, actor: User) -> None:
    token.revoked_at = utcnow()
    audit.record(actor, "token.revoke", token, f"吊销 API 令牌 {token.name}")
    db.session.flush()


def user_for_api_token(plain: str) -> User | None:
    """The active user owning the live token ``plain``, or ``None``."""
    if not plain.startswith("hk_") or len(plain) > 100:
        return None
    token = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.token_hash == ApiToken.hash_token(plain))
    ).first()
    if token is None or token.revoked_at is not None or not token.user.is_active_account:
        return None
    now = utcnow()
    # Written at most once a minute, so scripts polling the API do not turn every read into a write.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return token.user


def purge_login_failures(older_than: timedelta) -> int:
    result = db.session.execute(
        sa.delete(LoginFailure).where(LoginFailure.occurred_at < utcnow() - older_than)
    )
    return result.rowcount or 0
