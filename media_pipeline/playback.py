"""Signed playback URLs: media a player fetches with no cookie and no header (issue 19).

A URL looks like ``/media/p/<token>/<asset id>/<output key>/<path>``. The token is
``<key id>.<member id>.<expires>.<signature>``, the signature an HMAC-SHA256 (truncated to 128 bits)
over the member, the asset, its published output key and the expiry, with a key derived from
``PLAYBACK_SIGNING_KEY`` (or ``SECRET_KEY``) and ``PLAYBACK_KEY_ID``. Changing the key id rotates the
key; ids listed in ``PLAYBACK_RETIRED_KEY_IDS`` still verify until they are removed.

The token sits in the path, before the asset's folder, so the relative URIs of the master and
variant playlists carry it to every variant and segment with no rewriting, and a CDN can cache each
URL as it is (per token). Expiries are rounded up to ``PLAYBACK_URL_BUCKET_SECONDS`` so that one
member reopening a lesson gets the same URLs (and the same cached copies) for a while.

The server still asks the viewer checks on every request it answers (as for the session cookie),
so a member who loses access (unenrolled, course back to draft, account disabled) is refused at the
next playlist or segment the origin serves; what a CDN already cached stays valid until it expires.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app

from app.core.clock import utcnow

#: 128 bits of HMAC: plenty for a signature that lives for hours.
_SIGNATURE_BYTES = 16


@dataclass(frozen=True)
class PlaybackGrant:
    """A token that verified: who may fetch, until when (epoch seconds)."""

    user_id: int
    expires: int


class PlaybackRefused(Exception):
    """The token is malformed, altered, expired or signed with a key no longer accepted."""


def _secret() -> bytes:
    config = current_app.config
    return (config.get("PLAYBACK_SIGNING_KEY") or config["SECRET_KEY"]).encode()


def _key(key_id: str) -> bytes:
    return hmac.new(_secret(), f"hongke.playback:{key_id}".encode(), hashlib.sha256).digest()


def _accepted_key_ids() -> set[str]:
    config = current_app.config
    retired = str(config.get("PLAYBACK_RETIRED_KEY_IDS") or "")
    return {_current_key_id(), *(k.strip() for k in retired.split(",") if k.strip())}


def _current_key_id() -> str:
    return str(current_app.config.get("PLAYBACK_KEY_ID") or "1")


def _signature(key_id: str, user_id: int, asset_id: int, output_key: str, expires: int) -> str:
    message = f"{user_id}:{asset_id}:{output_key}:{expires}".encode()
    digest = hmac.new(_key(key_id), message, hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _expiry() -> int:
    config = current_app.config
    ttl = int(config["PLAYBACK_URL_TTL_SECONDS"])
    bucket = max(int(config.get("PLAYBACK_URL_BUCKET_SECONDS") or 1), 1)
    at = int(utcnow().timestamp()) + ttl
    return -(-at // bucket) * bucket  # rounded up: never shorter than the TTL


def issue_token(user, asset_id: int, output_key: str) -> str:
    """A token letting ``user`` fetch the files of one published version of one asset."""
    key_id, expires = _current_key_id(), _expiry()
    signature = _signature(key_id, user.id, asset_id, output_key, expires)
    return f"{key_id}.{user.id}.{expires}.{signature}"


def token_expiry(token: str) -> datetime:
    """When a token issued by :func:`issue_token` stops working (clients refresh before then)."""
    return datetime.fromtimestamp(int(token.split(".")[2]), UTC)


def verify_token(token: str, asset_id: int, output_key: str) -> PlaybackGrant:
    """The grant a token carries for this asset and version, or :class:`PlaybackRefused`."""
    parts = token.split(".")
    if len(parts) != 4 or not parts[1].isdigit() or not parts[2].isdigit():
        raise PlaybackRefused("malformed")
    key_id, user_id, expires, signature = parts[0], int(parts[1]), int(parts[2]), parts[3]
    if key_id not in _accepted_key_ids():
        raise PlaybackRefused("key retired")
    expected = _signature(key_id, user_id, asset_id, output_key, expires)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise PlaybackRefused("bad signature")
    if expires <= utcnow().timestamp():
        raise PlaybackRefused("expired")
    return PlaybackGrant(user_id, expires)


def seconds_left(grant: PlaybackGrant) -> int:
    return max(int(grant.expires - utcnow().timestamp()), 0)
