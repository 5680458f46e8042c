"""``flask records ...``: checks of the hours ledger."""

import sys

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.records.services.ledger import verify_ledger

records_cli = AppGroup("records", help="学时账本。")


@records_cli.command("verify")
def verify_command():
    """Walk every member's hash chain and name each modified, inserted or deleted entry, and check
    each member's yearly total against their entries."""
    problems = 0
    for problem in verify_ledger():
        problems += 1
        target = _("记录 #%(id)s", id=problem.entry_id) if problem.entry_id else _("（无记录号）")
        click.echo(
            _(
                "成员 %(id)s %(target)s: %(message)s",
                id=problem.user_id,
                target=target,
                message=problem.message,
            ),
            err=True,
        )
    if problems:
        click.echo(_("账本校验失败：发现 %(n)s 处问题。", n=problems), err=True)
        sys.exit(1)
    click.echo(_("账本完整：所有记录的哈希链与年度合计校验通过。"))
