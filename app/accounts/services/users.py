"""Users: unlocking, passwords, activation codes, creating, editing, enabling and disabling."""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts.models import LoginThrottle, Role, User
from app.accounts.passwords import (
    hash_activation_code,
    hash_password,
    new_activation_code,
    password_problem,
)
from app.accounts.services.base import EMPLOYEE_NO_RE, MOBILE_RE, AccountError, normalize_mobile
from app.accounts.services.login import Secret, check_secret, throttle_key
from app.accounts.services.sessions import end_all_sessions
from app.core import audit, spreadsheets
from app.core.clock import utcnow
from app.core.signals import user_branch_changed, user_created
from app.extensions import db

logger = logging.getLogger(__name__)


def _is_self(user: User, actor: User | None) -> bool:
    # Compare ids, not objects: views pass Flask-Login's ``current_user`` proxy, never ``is`` a User.
    return actor is not None and actor.id == user.id


def unlock_user(user: User, actor: User) -> None:
    """Lift every source's wait for ``user`` (the owner asked an admin for help)."""
    names = [throttle_key(user.employee_no)] + ([throttle_key(user.mobile)] if user.mobile else [])
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
    if check_secret(user, current_password, utcnow()) not in {Secret.PASSWORD, Secret.ACTIVATION_CODE}:
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
    """The fields of an account that admins edit and imports write. Not the category: it is the
    发展党员 workflow's result (app.membership), never typed."""

    employee_no: str
    name: str
    gender: str | None = None
    mobile: str | None = None
    branch_id: int | None = None
    joined_party_on: object = None
    position: str | None = None
    birth_date: object = None
    education: str | None = None


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
    if data.birth_date is not None and not (date(1900, 1, 1) <= data.birth_date <= utcnow().date()):
        raise AccountError(_("出生日期须在 1900-01-01 到今天之间"), field="birth_date")
    if data.mobile and not MOBILE_RE.match(data.mobile):
        raise AccountError(_("手机号 %(mobile)s 格式不正确，应为 11 位大陆手机号", mobile=data.mobile))
    return data


def _apply(user: User, data: UserData) -> None:
    user.employee_no = data.employee_no
    user.name = data.name
    user.gender = data.gender or None
    user.mobile = data.mobile
    user.branch_id = data.branch_id
    user.joined_party_on = data.joined_party_on
    user.position = data.position or None
    user.birth_date = data.birth_date
    user.education = data.education or None


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


def set_care_mode(user: User, on: bool) -> None:
    """Switch 关怀版 (large text, high contrast) on or off for ``user``, on every page from now on."""
    user.care_mode = bool(on)
    db.session.flush()
    logger.info("%s switched care mode %s", user, "on" if on else "off")
