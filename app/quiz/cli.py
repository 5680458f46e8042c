"""``flask quiz ...``: importing question banks from the shell."""

import json
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.accounts.models import Role, User
from app.extensions import db
from app.quiz.importers import ImportFileError, import_questions

quiz_cli = AppGroup("quiz", help="题库与答题。")


@quiz_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--category", help="题目分类（文件中未写分类的题目使用它）")
@click.option("--owner", help="题目的所有者（讲师的工号）；不填则只有管理员可以编辑")
def import_command(path: Path, category: str | None, owner: str | None):
    """Import questions from an XLSX template, a GIFT or an Aiken file.

    The last line printed is JSON: {"imported": n, "duplicates": n, "errors": [{"row", "message"}]}.
    Exits 1 when the file cannot be read at all; a file with broken rows imports nothing.
    """
    actor = None
    if owner:
        actor = db.session.scalars(sa.select(User).where(User.employee_no == owner.strip())).first()
        if actor is None or not actor.has_any_role(Role.TRAINER):
            click.echo(f"找不到工号为 {owner} 的讲师。", err=True)
            sys.exit(2)
    try:
        report = import_questions(path, path.name, actor=actor, category=category)  # streamed from disk
    except (OSError, ImportFileError) as exc:
        message = str(exc) if isinstance(exc, ImportFileError) else f"无法读取文件：{exc.strerror or exc}"
        click.echo(message, err=True)
        click.echo(
            json.dumps(
                {"imported": 0, "duplicates": 0, "errors": [{"row": 0, "message": message}]},
                ensure_ascii=False,
            )
        )
        sys.exit(1)
    if report.errors:
        db.session.rollback()
        click.echo(f"有 {len(report.errors)} 行错误，未导入任何题目。", err=True)
    else:
        db.session.commit()
        click.echo(f"导入 {report.imported} 道，跳过重复 {report.duplicates} 道。", err=True)
    click.echo(json.dumps(report.as_json(), ensure_ascii=False))


points_cli = AppGroup("points", help="积分账本。")


@points_cli.command("verify")
def points_verify_command():
    """Walk every member's points chain and name each changed, inserted or deleted entry, and check
    each day's counter against its entries. Exits 1 when anything is wrong."""
    from flask_babel import gettext as _

    from app.core.chains import echo_chain_problems
    from app.quiz.points_chain import verify_points

    echo_chain_problems(
        verify_points(),
        lambda entry_id: _("积分记录 #%(id)s", id=entry_id),
        lambda n: _("积分账本校验失败：发现 %(n)s 处问题。", n=n),
        _("积分账本完整：所有记录的哈希链与当日积分校验通过。"),
    )
