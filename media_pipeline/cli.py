"""``flask media ...``: the media pipeline from the shell, for operators."""

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from app.accounts.services import find_user_by_login
from app.extensions import db
from media_pipeline import services
from media_pipeline.models import AssetStatus, MediaAsset
from media_pipeline.probe import MediaInputError
from media_pipeline.tasks import queue_asset

media_cli = AppGroup("media", help="管理音视频：导入、转码、查看、清理。")


def _asset(asset_id: int) -> MediaAsset:
    asset = db.session.get(MediaAsset, asset_id)
    if asset is None:
        raise click.ClickException(f"找不到音视频 {asset_id}")
    return asset


@media_cli.command("ingest")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--owner", "owner_no", help="归属讲师的工号")
def ingest_command(path: Path, owner_no: str | None):
    """Copy PATH in, probe it and queue it; the asset id is printed on the last line."""
    owner = None
    if owner_no:
        owner = find_user_by_login(owner_no)
        if owner is None:
            raise click.ClickException(f"找不到工号为 {owner_no} 的用户")
    try:
        asset = services.ingest_file(
            path, path.name, owner, None, move=False, commit=db.session.commit, enqueue=queue_asset
        )
    except MediaInputError as exc:
        db.session.rollback()
        click.echo(f"导入失败：{exc}", err=True)
        sys.exit(1)
    if asset.status == AssetStatus.FAILED:
        click.echo(f"导入失败：{asset.error}", err=True)
        click.echo(f"（音视频 {asset.id} 已标记为失败）", err=True)
        sys.exit(1)
    click.echo(f"已导入并排队转码：{asset.original_filename}", err=True)
    click.echo(asset.id)


@media_cli.command("process")
@click.argument("asset_id", type=int)
def process_command(asset_id: int):
    """Run ASSET_ID's processing in this process (for operators and debugging)."""
    asset = _asset(asset_id)
    if asset.is_finished:
        try:
            services.prepare_rerun(asset, None)
        except MediaInputError as exc:
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
    outcome = services.process_asset(
        asset_id, holder=services.new_lease_holder("cli"), commit=db.session.commit
    )
    asset = db.session.get(MediaAsset, asset_id, populate_existing=True)
    if outcome == "busy":
        raise click.ClickException("该音视频正由其他进程处理（租约未过期）")
    click.echo(f"{asset.id} {asset.status.value}{'：' + asset.error if asset.error else ''}")
    if asset.status != AssetStatus.READY:
        sys.exit(1)


@media_cli.command("show")
@click.argument("asset_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
def show_command(asset_id: int, as_json: bool):
    """Show ASSET_ID: state, probe facts, renditions with absolute paths."""
    data = services.asset_json(_asset(asset_id))
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(
        f"#{data['id']} {data['original_filename']}  状态：{data['status']}  进度：{data['progress']}%"
    )
    if data["error"]:
        click.echo(f"错误：{data['error']}")
    click.echo(
        f"时长：{data['duration']} s  尺寸：{data['width']}×{data['height']}  有音频：{data['has_audio']}"
    )
    for rendition in data["renditions"]:
        height = rendition["height"] or "-"
        click.echo(
            f"  {rendition['kind']:5} {height:>5}  {rendition['bandwidth']:>9} bit/s  {rendition['path']}"
        )


@media_cli.command("retranscode")
@click.argument("asset_id", type=int)
def retranscode_command(asset_id: int):
    """Queue ASSET_ID again from its original."""
    try:
        services.prepare_rerun(_asset(asset_id), None)
    except MediaInputError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    queue_asset(asset_id)
    click.echo(f"已重新排队：{asset_id}")


@media_cli.command("sweep")
def sweep_command():
    """Re-queue stuck assets; remove expired uploads, leftover work folders, old outputs."""
    report = services.sweep()
    db.session.commit()
    for asset_id in report.requeue:
        queue_asset(asset_id)
    click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
