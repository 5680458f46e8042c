"""Personal API tokens: issuing, revoking, authenticating."""

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts.models import ApiToken, User
from app.accounts.services.base import AccountError, TokenRefused
from app.core import audit
from app.core.clock import utcnow
from app.extensions import db


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
