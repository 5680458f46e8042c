"""The per-asset lease: one worker processes an asset at a time; a dead one's lease lapses."""

import logging
import os
import socket
import threading
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from app.core.clock import utcnow
from app.extensions import db
from media_pipeline.models import MediaAsset

logger = logging.getLogger(__name__)


# --- processing (the worker) ---------------------------------------------------------------------------


def new_lease_holder(tag: str = "") -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{tag or os.urandom(4).hex()}"[:120]


def acquire_lease(asset_id: int, holder: str, seconds: int) -> bool:
    """Take the per-asset lease unless a live one is held by someone else. One conditional UPDATE:
    atomic on PostgreSQL (row lock, re-checked after a concurrent commit) and on SQLite (one writer)."""
    now = utcnow()
    result = db.session.execute(
        sa.update(MediaAsset)
        .where(
            MediaAsset.id == asset_id,
            sa.or_(
                MediaAsset.lease_holder.is_(None),
                MediaAsset.lease_holder == holder,
                MediaAsset.lease_expires_at < now,
            ),
        )
        .values(lease_holder=holder, lease_expires_at=now + timedelta(seconds=seconds))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def renew_lease(
    asset_id: int, holder: str, seconds: int, progress: int | None = None, estimated_done_at=None
) -> bool:
    values: dict = {"lease_expires_at": utcnow() + timedelta(seconds=seconds)}
    if progress is not None:
        values["progress"] = progress
    if estimated_done_at is not None:
        values["estimated_done_at"] = estimated_done_at
    result = db.session.execute(
        sa.update(MediaAsset)
        .where(MediaAsset.id == asset_id, MediaAsset.lease_holder == holder)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release_lease(asset_id: int, holder: str) -> None:
    db.session.execute(
        sa.update(MediaAsset)
        .where(MediaAsset.id == asset_id, MediaAsset.lease_holder == holder)
        .values(lease_holder=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )


def lease_seconds_left(asset_id: int) -> float:
    expires = db.session.scalar(sa.select(MediaAsset.lease_expires_at).where(MediaAsset.id == asset_id))
    return max(0.0, (expires - utcnow()).total_seconds()) if expires else 0.0


class LeaseKeeper:
    """Renews a run's lease from a thread every third of its length, whatever the run is doing
    (a long ffprobe scan, the fallback remux): so the lease can be short and a dead worker's job
    is taken over within seconds of the lease, yet a live run never loses it between ffmpeg's
    progress reports. The thread has its own app context, so its own database session."""

    def __init__(self, app, asset_id: int, holder: str, seconds: int):
        self.app, self.asset_id, self.holder, self.seconds = app, asset_id, holder, seconds
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"media-lease-{asset_id}", daemon=True)

    def __enter__(self) -> "LeaseKeeper":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            with self.app.app_context():
                try:
                    if not renew_lease(self.asset_id, self.holder, self.seconds):
                        self.lost = True
                        return
                    db.session.commit()
                except SQLAlchemyError:
                    db.session.rollback()
                    logger.warning("media asset %s: could not renew the lease", self.asset_id, exc_info=True)
                finally:
                    db.session.remove()
