"""System health for the admin's home page: a registry of checks that domains add to.

The portal registers what it can see itself: whether a worker is alive (from the periodic heartbeat
task, never a slow ``celery inspect`` on a page view), queue lengths where the broker can tell, and
disk use of ``MEDIA_ROOT``. Other domains register their own checks without the portal importing
them; the media pipeline, for one, registers its failed-jobs check::

    from app.portal.health import HealthResult, register_health_check

    def failed_jobs() -> HealthResult:
        n = count_failed_assets()
        return HealthResult("error" if n else "ok", _("%(n)s 个", n=n), _("转码失败的媒体"))

    register_health_check("media.failed", _l("转码失败"), failed_jobs, order=40)

Each check must be cheap (one indexed query, one Redis call): it runs on every admin home page.
"""

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.clock import utcnow
from app.core.transactions import insert_in_savepoint
from app.extensions import db
from app.portal.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

OK, WARNING, ERROR, UNKNOWN = "ok", "warning", "error", "unknown"


@dataclass(frozen=True)
class HealthResult:
    #: ``ok``, ``warning``, ``error`` or ``unknown``.
    status: str
    #: The figure shown large ("2 个", "35%").
    value: str
    #: One line of explanation.
    detail: str = ""


@dataclass(frozen=True)
class HealthCheck:
    key: str
    label: str
    check: Callable[[], HealthResult]
    order: int


_checks: dict[str, HealthCheck] = {}


def register_health_check(key: str, label: str, check: Callable[[], HealthResult], order: int = 50) -> None:
    """Register (or replace, by ``key``) a check shown on the admin's home page."""
    _checks[key] = HealthCheck(key, label, check, order)


def run_health_checks() -> list[tuple[HealthCheck, HealthResult]]:
    """Every check's result, in display order; a check that raises shows as unknown."""
    results = []
    for item in sorted(_checks.values(), key=lambda c: (c.order, c.key)):
        try:
            result = item.check()
        except Exception as exc:
            logger.exception("health check %s failed", item.key)
            result = HealthResult(UNKNOWN, "?", _("检查出错：%(error)s", error=type(exc).__name__))
        results.append((item, result))
    return results


# --- worker heartbeat -----------------------------------------------------------------------------


def record_heartbeat(worker: str) -> None:
    """Called by the periodic heartbeat task on whichever worker runs it."""
    worker = (worker or "unknown")[:200]
    row = db.session.scalars(sa.select(WorkerHeartbeat).where(WorkerHeartbeat.worker == worker)).first()
    if row is None:
        if insert_in_savepoint(WorkerHeartbeat(worker=worker, last_seen_at=utcnow())):
            return
        row = db.session.scalars(sa.select(WorkerHeartbeat).where(WorkerHeartbeat.worker == worker)).one()
    row.last_seen_at = utcnow()
    db.session.flush()


def _format_age(seconds: float) -> str:
    if seconds < 90:
        return _("%(n)s 秒前", n=int(seconds))
    if seconds < 5400:
        return _("%(n)s 分钟前", n=int(seconds // 60))
    return _("%(n)s 小时前", n=int(seconds // 3600))


def worker_check() -> HealthResult:
    interval = current_app.config["PORTAL_HEARTBEAT_SECONDS"]
    last = db.session.scalar(sa.select(sa.func.max(WorkerHeartbeat.last_seen_at)))
    if last is None:
        return HealthResult(UNKNOWN, "—", _("还没有收到任何后台任务进程的心跳（worker 或 beat 未启动？）"))
    age = (utcnow() - last).total_seconds()
    alive = db.session.scalar(
        sa.select(sa.func.count(WorkerHeartbeat.id)).where(
            WorkerHeartbeat.last_seen_at >= utcnow() - timedelta(seconds=3 * interval)
        )
    )
    if alive:
        return HealthResult(OK, _("%(n)s 个在线", n=alive), _("最近心跳 %(age)s", age=_format_age(age)))
    return HealthResult(
        ERROR,
        _("离线"),
        _("最近心跳 %(age)s，超过 %(seconds)s 秒未收到", age=_format_age(age), seconds=3 * interval),
    )


# --- queue lengths --------------------------------------------------------------------------------

QUEUES = ("default", "media")
_sqla_engines: dict[str, sa.Engine] = {}


def queue_lengths(broker_url: str, queues: tuple[str, ...] = QUEUES) -> dict[str, int] | None:
    """Messages waiting per queue, or ``None`` when this broker cannot be asked cheaply."""
    if broker_url.startswith(("redis://", "rediss://", "unix://")):
        import redis

        client = redis.Redis.from_url(broker_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        try:
            pipe = client.pipeline()
            for name in queues:
                pipe.llen(name)
            return dict(zip(queues, pipe.execute()))
        finally:
            client.close()
    if broker_url.startswith("sqla+"):
        url = broker_url.removeprefix("sqla+")
        engine = _sqla_engines.get(url)
        if engine is None:
            engine = _sqla_engines[url] = sa.create_engine(
                url, connect_args={"timeout": 1} if url.startswith("sqlite") else {}
            )
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("kombu_message"):
                return dict.fromkeys(queues, 0)
            rows = conn.execute(
                sa.text(
                    "SELECT q.name, COUNT(m.id) FROM kombu_queue q LEFT JOIN kombu_message m "
                    "ON m.queue_id = q.id AND m.visible = :visible GROUP BY q.name"
                ),
                {"visible": True},
            ).all()
        found = dict(rows)
        return {name: int(found.get(name, 0)) for name in queues}
    return None


def queue_check() -> HealthResult:
    lengths = queue_lengths(current_app.config["CELERY_BROKER_URL"])
    if lengths is None:
        return HealthResult(UNKNOWN, _("未知"), _("当前消息代理无法查询队列长度"))
    total = sum(lengths.values())
    detail = "，".join(f"{name} {n}" for name, n in lengths.items())
    warn_at = current_app.config["PORTAL_QUEUE_WARNING_LENGTH"]
    return HealthResult(WARNING if total >= warn_at else OK, _("%(n)s 个待处理", n=total), detail)


# --- disk -----------------------------------------------------------------------------------------


def disk_check() -> HealthResult:
    folder = Path(current_app.config["MEDIA_ROOT"])
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    usage = shutil.disk_usage(folder)
    percent = 100 * usage.used / usage.total if usage.total else 0
    free_gb = usage.free / 1024**3
    status = ERROR if percent >= 95 else WARNING if percent >= 85 else OK
    return HealthResult(status, f"{percent:.0f}%", _("媒体存储所在磁盘剩余 %(gb)s GB", gb=f"{free_gb:.1f}"))


def register_builtin_checks() -> None:
    register_health_check("portal.worker", _l("后台任务进程"), worker_check, order=10)
    register_health_check("portal.queues", _l("任务队列"), queue_check, order=20)
    register_health_check("portal.disk", _l("媒体磁盘"), disk_check, order=30)
