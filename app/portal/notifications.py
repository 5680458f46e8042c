"""In-app notifications for every domain, and the delivery channels a site plugs in.

Other domains never import this module: they send :data:`app.core.signals.notification_requested`
and :func:`on_notification_requested` stores one :class:`~app.portal.models.Notification` per user.
The in-app channel is always on (it *is* the stored row: the bell and the notification centre).

A site adds channels (SMS, e-mail, an enterprise messenger) by naming factories in the
``NOTIFICATION_CHANNELS`` setting (``"package.module:factory"``, comma separated); each factory gets
the app and returns an object with a ``name`` and ``deliver(user, notification)``. Channels run in a
Celery task after the notifications are committed, so a slow SMS gateway never slows a page down,
and a failing channel neither stops the others nor loses the in-app notification.
"""

import importlib
import logging
from collections.abc import Iterable
from typing import Protocol

import sqlalchemy as sa

from app.accounts.models import User
from app.core.clock import utcnow
from app.core.signals import notification_requested
from app.core.transactions import on_transaction_end
from app.extensions import db
from app.portal.models import Notification

logger = logging.getLogger(__name__)


class DeliveryChannel(Protocol):
    """Passes a stored notification on outside the site."""

    name: str

    def deliver(self, user: User, notification: Notification) -> None: ...


_channels: dict[str, DeliveryChannel] = {}


def register_channel(channel: DeliveryChannel) -> None:
    """Add (or replace, by name) an external delivery channel."""
    _channels[channel.name] = channel


def unregister_channel(name: str) -> None:
    _channels.pop(name, None)


def registered_channels() -> list[DeliveryChannel]:
    return list(_channels.values())


def init_app(app) -> None:
    """Load the channels named in ``NOTIFICATION_CHANNELS`` and connect the signal receiver."""
    for spec in app.config.get("NOTIFICATION_CHANNELS") or ():
        module_name, _, factory_name = spec.partition(":")
        factory = getattr(importlib.import_module(module_name), factory_name or "channel")
        register_channel(factory(app))
    notification_requested.connect(on_notification_requested)


def _clip(text: str | None, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _safe_url(url: str | None) -> str | None:
    """Only paths inside the site: a notification must never lead off-site (or to ``javascript:``)."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in url):
        return None
    return url[:500]


def store_notifications(
    user_ids: Iterable[int],
    title: str,
    body: str = "",
    url: str | None = None,
    kind: str = "",
    sender: str = "",
) -> list[int]:
    """One notification per distinct active user, in one INSERT; returns their ids."""
    wanted = sorted({int(i) for i in user_ids})
    if not wanted:
        return []
    active = db.session.scalars(
        sa.select(User.id).where(User.id.in_(wanted), User.is_active_account.is_(True))
    ).all()
    now = utcnow()
    rows = [
        {
            "user_id": user_id,
            "kind": _clip(kind, 64),
            "sender": _clip(sender, 32),
            "title": _clip(title, 200),
            "body": _clip(body, 1000),
            "url": _safe_url(url),
            "created_at": now,
        }
        for user_id in active
    ]
    if not rows:
        return []
    ids = list(db.session.scalars(sa.insert(Notification).returning(Notification.id), rows))
    if _channels:
        on_transaction_end(on_commit=lambda: _enqueue_delivery(ids))
    return ids


def on_notification_requested(sender, **kwargs) -> None:
    """Receiver of ``notification_requested`` (see its docstring for the arguments)."""
    store_notifications(
        kwargs.get("user_ids") or [],
        title=kwargs.get("title") or "",
        body=kwargs.get("body") or "",
        url=kwargs.get("url"),
        kind=kwargs.get("kind") or "",
        sender=sender if isinstance(sender, str) else getattr(sender, "__name__", str(sender)),
    )


def _enqueue_delivery(ids: list[int]) -> None:
    from app.portal.tasks import deliver_notifications

    try:
        deliver_notifications.delay(ids)
    except Exception:  # a broker outage must not turn a committed page into an error
        logger.exception("could not queue external delivery of %d notifications", len(ids))


def deliver(ids: list[int]) -> int:
    """Pass the notifications on through every registered channel; returns deliveries made."""
    if not _channels:
        return 0
    rows = db.session.execute(
        sa.select(Notification, User)
        .join(User, User.id == Notification.user_id)
        .where(Notification.id.in_(ids))
    ).all()
    delivered = 0
    for notification, user in rows:
        for channel in registered_channels():
            try:
                channel.deliver(user, notification)
                delivered += 1
            except Exception:
                logger.exception("channel %s failed for notification %s", channel.name, notification.id)
    return delivered


# --- the notification centre ----------------------------------------------------------------------


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
    )


def notifications_query(user_id: int, unread_only: bool = False):
    query = sa.select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.id.desc())


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(user_id: int) -> int:
    """Mark every unread notification of the user read, in one UPDATE; returns how many."""
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def purge_read_notifications(older_than_days: int) -> int:
    """Delete read notifications older than the given age (a periodic task keeps the table small)."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(days=older_than_days)
    result = db.session.execute(
        sa.delete(Notification)
        .where(Notification.read_at.is_not(None), Notification.created_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
