"""Login sessions: starting, checking, listing and ending them."""

import secrets

import sqlalchemy as sa

from app.accounts.models import ApiToken, LoginSession, User
from app.accounts.services.base import SESSION_TOUCH_INTERVAL, LoginPolicy
from app.core import audit
from app.core.clock import utcnow
from app.core.signals import member_signed_in
from app.core.urls import id_from
from app.extensions import db

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
    member_signed_in.send("accounts", user_id=user.id)
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
