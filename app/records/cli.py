"""``flask records ...``: checks of the hours ledger."""

from flask.cli import AppGroup
from flask_babel import gettext as _

from app.core.chains import echo_chain_problems
from app.records.services.ledger import verify_ledger

records_cli = AppGroup("records", help="学时账本。")


@records_cli.command("verify")
def verify_command():
    """Walk every member's hash chain and name each modified, inserted or deleted entry, and check
    each member's yearly total against their entries."""
    echo_chain_problems(
        verify_ledger(),
        lambda entry_id: _("记录 #%(id)s", id=entry_id),
        lambda n: _("账本校验失败：发现 %(n)s 处问题。", n=n),
        _("账本完整：所有记录的哈希链与年度合计校验通过。"),
    )
