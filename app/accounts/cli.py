"""``flask users ...``: account administration from the shell."""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.accounts import services
from app.accounts.importing import import_members
from app.accounts.models import Role
from app.extensions import db
from app.org.services import find_branch

users_cli = AppGroup("users", help="管理用户账户。")


@users_cli.command("create")
@click.argument("employee_no")
@click.option("--name", required=True, help="姓名")
@click.option(
    "--role", "roles", multiple=True, type=click.Choice([r.value for r in Role]), default=["member"]
)
@click.option("--branch", help="所属组织：id、完整路径或唯一名称")
@click.option("--mobile", help="手机号")
@click.option("--password", required=True, help="密码（至少 8 位，含字母和数字）")
def create_user_command(employee_no, name, roles, branch, mobile, password):
    """Create an account."""
    branch_id = None
    if branch:
        found = find_branch(branch)
        if found is None or isinstance(found, list):
            raise click.ClickException(f"找不到唯一的组织「{branch}」")
        branch_id = found.id
    data = services.UserData(employee_no=employee_no, name=name, mobile=mobile, branch_id=branch_id)
    try:
        user = services.create_user(data, roles, actor=None, password=password)
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"已创建 {user}，角色：{'、'.join(map(str, user.role_labels))}")
    click.echo(user.id)


@users_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path):
    """Import members from an XLSX or CSV file (see the template on the import page)."""

    def progress(done, total):
        click.echo(f"\r已写入 {done}/{total}", nl=False, err=True)

    days = current_app.config["ACTIVATION_CODE_DAYS"]
    report = import_members(path, path.name, actor=None, progress=progress, activation_days=days)
    if not report.ok:
        db.session.rollback()
        if report.message:
            click.echo(report.message, err=True)
        for error in report.errors[:200]:
            click.echo(f"第 {error['row']} 行 [{error['field']}] {error['message']}", err=True)
        if len(report.errors) > 200:
            click.echo(f"……共 {len(report.errors)} 处错误", err=True)
        click.echo("未导入任何数据。", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"\n导入完成：共 {report.total_rows} 行，新增 {report.created}，更新 {report.updated}。")
    if report.activation_codes:
        # Shown this once: only their hashes are stored. Hand each member their own code.
        click.echo(f"新成员的一次性激活码（{days} 天内有效，只显示这一次）：")
        click.echo("工号\t激活码")
        for employee_no, code in report.activation_codes.items():
            click.echo(f"{employee_no}\t{code}")


@users_cli.command("token")
@click.argument("employee_no")
@click.option("--name", default="CLI", help="令牌名称")
@click.option("--days", type=click.IntRange(1, 366), help="有效期（天），默认 API_TOKEN_DAYS")
@click.option("--read-only", is_flag=True, help="只读令牌：只能 GET")
def token_command(employee_no, name, days, read_only):
    """Print a new personal API token for EMPLOYEE_NO (on the last line)."""
    user = services.find_user_by_login(employee_no)
    if user is None:
        raise click.ClickException(f"找不到工号为 {employee_no} 的用户")
    days = days or current_app.config["API_TOKEN_DAYS"]
    _token, plain = services.issue_api_token(user, name, actor=None, days=days, read_only=read_only)
    db.session.commit()
    scope = "只读" if read_only else "读写"
    click.echo(f"已为 {user} 创建{scope}令牌，{days} 天后过期（只显示这一次）：", err=True)
    click.echo(plain)


@users_cli.command("activation-code")
@click.argument("employee_no")
def activation_code_command(employee_no):
    """Print a new one-time activation code for a member who has not set a password yet."""
    user = services.find_user_by_login(employee_no)
    if user is None:
        raise click.ClickException(f"找不到工号为 {employee_no} 的用户")
    days = current_app.config["ACTIVATION_CODE_DAYS"]
    try:
        code = services.issue_activation_code(user, actor=None, days=days)
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"{user} 的一次性激活码（{days} 天内有效，只显示这一次）：", err=True)
    click.echo(code)
