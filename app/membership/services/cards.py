"""二维码名片: a payload signed with HMAC-SHA256 (a key derived from the app's secret and a key id)
over member id, 工号, branch, category and issue date, verifiable without a database lookup of the
card itself. ``MEMBER_CARD_KEY_ID`` rotates the key; ``MEMBER_CARD_ACCEPT_RETIRED_KEYS`` decides
whether cards signed with an earlier key still verify. A card of a disabled member, or one whose
branch or category no longer match, is refused (a transferred member shows their new card)."""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, timedelta

import segno
from flask import current_app
from flask_babel import gettext as _

from app.accounts.models import User
from app.core.clock import localtoday
from app.core.errors import DomainError
from app.extensions import db

PREFIX = "HK1"
PAYLOAD_MAX = 600


class CardRefused(DomainError):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(key_id: str) -> bytes:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, f"hongke.member-card:{key_id}".encode(), hashlib.sha256).digest()


def current_key_id() -> str:
    return str(current_app.config.get("MEMBER_CARD_KEY_ID", "1"))


def issue_card(member: User) -> str:
    """The signed payload of ``member``'s card as of today."""
    body = {
        "m": member.id,
        "e": member.employee_no,
        "b": member.branch_id,
        "c": member.category.value if member.category else None,
        "d": localtoday().isoformat(),
        "k": current_key_id(),
    }
    raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    signature = hmac.new(_key(body["k"]), raw, hashlib.sha256).digest()
    return f"{PREFIX}.{_b64(raw)}.{_b64(signature)}"


def card_svg(payload: str) -> str:
    return segno.make(payload, error="m").svg_inline(scale=4, dark="#000", light="#fff")


@dataclass(frozen=True)
class VerifiedCard:
    member: User
    issued_on: date


def _decode(payload: str) -> dict:
    refused = CardRefused(_("名片无效：签名不符或内容被修改"), field="payload")
    if not isinstance(payload, str) or len(payload) > PAYLOAD_MAX:
        raise refused
    parts = payload.strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise refused
    try:
        raw, signature = _unb64(parts[1]), _unb64(parts[2])
        body = json.loads(raw)
        key_id = str(body["k"])
    except (ValueError, KeyError, TypeError):
        raise refused from None
    if not hmac.compare_digest(hmac.new(_key(key_id), raw, hashlib.sha256).digest(), signature):
        raise refused
    if key_id != current_key_id() and not current_app.config.get("MEMBER_CARD_ACCEPT_RETIRED_KEYS", True):
        raise CardRefused(_("名片已失效（签名密钥已更换），请出示新名片"), field="payload")
    return body


def verify_card(payload: str) -> VerifiedCard:
    body = _decode(payload)
    try:
        issued = date.fromisoformat(body["d"])
        member = db.session.get(User, int(body["m"]))
    except (ValueError, KeyError, TypeError):
        raise CardRefused(_("名片无效：签名不符或内容被修改"), field="payload") from None
    max_age = timedelta(days=int(current_app.config.get("MEMBER_CARD_MAX_AGE_DAYS", 365)))
    if issued > localtoday() or localtoday() - issued > max_age:
        raise CardRefused(_("名片已过期，请出示新名片"), field="payload")
    if member is None or not member.is_active_account:
        raise CardRefused(_("名片已吊销：该账户已停用"), field="payload")
    category = member.category.value if member.category else None
    if (body.get("e"), body.get("b"), body.get("c")) != (member.employee_no, member.branch_id, category):
        raise CardRefused(_("名片已过期：党员信息已变更，请出示新名片"), field="payload")
    return VerifiedCard(member, issued)
