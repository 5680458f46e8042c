"""``flask search rebuild | status | reconcile``."""

import os
import time

import click
from flask import current_app
from flask.cli import AppGroup
from kombu.exceptions import ChannelError

from app.extensions import celery
from search_index import indexing
from search_index.engine import get_backend
from search_index.registry import adapters

search_cli = AppGroup("search", help="全文搜索索引。")


def pending_tasks() -> int | None:
    """Messages waiting in the ``search`` queue, or ``None`` when the broker cannot tell."""
    try:
        with celery.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1)
            try:
                declared = connection.default_channel.queue_declare(queue=indexing.SEARCH_QUEUE, passive=True)
            except ChannelError:  # never declared: nothing was ever queued
                return 0
            return declared.message_count
    except Exception:  # the broker cannot be reached
        return None


@search_cli.command("rebuild")
@click.option(
    "--procs",
    type=click.IntRange(1, 32),
    default=None,
    help="分词进程数（默认：CPU 核数，最多 4）。",
)
def rebuild_command(procs: int | None) -> None:
    """Rebuild the whole index from the database (searches keep working meanwhile)."""
    procs = procs or min(4, os.cpu_count() or 1)
    total = sum(indexing.searchable_counts().values())
    started = time.monotonic()
    with click.progressbar(length=total, label="重建搜索索引", show_pos=True, show_eta=True) as bar:
        written = indexing.rebuild(procs=procs, progress=bar.update)
    elapsed = time.monotonic() - started
    for adapter in adapters():
        click.echo(f"  {adapter.type}：{written.get(adapter.type, 0)}")
    count = sum(written.values())
    click.echo(f"完成：{count} 篇文档，用时 {elapsed:.1f} 秒（{count / max(elapsed, 0.001):.0f} 篇/秒）。")


@search_cli.command("status")
def status_command() -> None:
    """Documents in the index by type, rows in the database, and changes waiting in the queue."""
    backend = get_backend()
    counts = backend.counts()
    rows = indexing.searchable_counts()
    current_name = getattr(backend, "current_name", None)
    current = current_name() if current_name is not None else None
    click.echo(f"索引目录：{current_app.config['SEARCH_INDEX_DIR']}（当前：{current or '尚未建立'}）")
    click.echo(f"{'类型':<10}{'已索引':>8}{'数据库行数':>10}")
    for adapter in adapters():
        click.echo(f"{adapter.type:<10}{counts.get(adapter.type, 0):>8}{rows.get(adapter.type, 0):>10}")
    pending = pending_tasks()
    click.echo(f"待处理的索引任务：{pending if pending is not None else '未知（无法连接消息队列）'}")


@search_cli.command("reconcile")
def reconcile_command() -> None:
    """Repair differences between the database and the index now (also runs hourly)."""
    totals = indexing.reconcile()
    click.echo(f"已更新 {totals['written']} 篇，已移除 {totals['removed']} 篇。")
