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

The server still asks the viewer checks (as for the session cookie): on every playlist, so a member
who loses access (unenrolled, course back to draft, account disabled) cannot start playing again;
for segments, the answer of a check is trusted for ``PLAYBACK_ACCESS_RECHECK_SECONDS`` (one minute),
so a playing member is stopped within that time and a segment, a player's most frequent request,
costs an HMAC and a file, no database (see :class:`AccessMemo`). What a CDN already cached stays
valid until it expires.
"""

import base64
import hashlib
import hmac
import threading
from collections import OrderedDict
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


class AccessMemo:
    """This process's recent "yes" answers of the viewer checks, per member and asset, each trusted
    for a while by the segments of a signed URL. Bounded (the oldest answers go first) and shared by
    the threads of a worker; a "no" is never remembered, it is asked again."""

    def __init__(self, size: int = 20_000):
        self._size = size
        self._answers: OrderedDict[tuple[int, int], float] = OrderedDict()
        self._lock = threading.Lock()

    def allowed_within(self, user_id: int, asset_id: int, seconds: int) -> bool:
        """Whether a check said yes no more than ``seconds`` ago (by the server's clock)."""
        with self._lock:
            checked = self._answers.get((user_id, asset_id))
        return checked is not None and 0 <= utcnow().timestamp() - checked < seconds

    def remember(self, user_id: int, asset_id: int, allowed: bool) -> None:
        with self._lock:
            if not allowed:
                self._answers.pop((user_id, asset_id), None)
                return
            self._answers[(user_id, asset_id)] = utcnow().timestamp()
            self._answers.move_to_end((user_id, asset_id))
            while len(self._answers) > self._size:
                self._answers.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()


def access_memo() -> AccessMemo:
    """The application's memo (one per process and app)."""
    return current_app.extensions.setdefault("hongke.playback_access", AccessMemo())
