"""The nightly verification of the tamper-evident ledgers (the 学时 ledger and the points ledger, and
any other integrity check a domain registers with :func:`app.core.backup.register_integrity_check`).

Beat runs :func:`verify_ledgers` every night. Each ledger's last result is kept in an
:class:`IntegrityStatus` row, locked while its check runs, so two runs at once queue and the second
finds the first's result (the run is idempotent). A ledger that starts failing raises a persistent
alert on the admin's home page and notifies every admin once through the notification centre; the
alert stays until a later verification passes.
"""

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.accounts.models import Role, User, UserRole
from app.core.backup import integrity_checks
from app.core.clock import utcnow
from app.core.signals import notification_requested
from app.core.transactions import insert_or_skip
from app.core.urls import site_path
from app.extensions import db
from app.portal.models import IntegrityStatus

logger = logging.getLogger(__name__)

#: Problems kept for the alert (the full list comes from ``flask records verify`` / ``points verify``).
SHOWN_PROBLEMS = 20
#: What the admin is told to run for each ledger.
COMMANDS = {"records": "flask records verify", "points": "flask points verify"}
#: Stored in notifications as they are (Chinese), and shown translated on the alert.
LEDGER_NAMES = {"records": "学时账本", "points": "积分账本"}
LEDGER_LABELS = {"records": _l("学时账本"), "points": _l("积分账本")}


@dataclass(frozen=True)
class Outcome:
    name: str
    ok: bool
    problem_count: int
    #: The ledger went from passing (or never checked) to failing in this run: admins were told.
    newly_failing: bool


def _locked_status(name: str) -> IntegrityStatus:
    db.session.execute(
        insert_or_skip(IntegrityStatus, ["name"]),
        [{"name": name, "ok": True, "problem_count": 0, "problems": "", "checked_at": utcnow()}],
    )
    return db.session.scalars(
        sa.select(IntegrityStatus)
        .where(IntegrityStatus.name == name)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def admin_ids() -> list[int]:
    return list(
        db.session.scalars(
            sa.select(User.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.ADMIN, User.is_active_account.is_(True))
            .order_by(User.id)
        )
    )


def verify_ledgers() -> list[Outcome]:
    """Run every registered check, one locked status row at a time; the caller commits."""
    outcomes = []
    for name, check in sorted(integrity_checks().items()):
        status = _locked_status(name)
        problems = list(check())
        was_ok = status.ok and status.failing_since is None
        now = utcnow()
        status.ok, status.problem_count, status.checked_at = not problems, len(problems), now
        status.problems = "\n".join(line[:300] for line in problems[:SHOWN_PROBLEMS])
        newly_failing = bool(problems) and was_ok
        if problems:
            status.failing_since = status.failing_since or now
            logger.error("integrity check %s failed: %s problems", name, len(problems))
        else:
            status.failing_since = None
        if newly_failing:
            _notify_admins(name, problems)
        db.session.flush()
        outcomes.append(Outcome(name, not problems, len(problems), newly_failing))
    return outcomes


def _notify_admins(name: str, problems: list[str]) -> None:
    ledger = LEDGER_NAMES.get(name, name)
    notification_requested.send(
        "portal",
        user_ids=admin_ids(),
        title=f"{ledger}校验失败",
        body=f"夜间校验发现{ledger}有 {len(problems)} 处问题，可能被篡改：{problems[0][:200]}"
        f"。请运行 {COMMANDS.get(name, 'flask restore')} 查看全部问题。",
        url=site_path("portal.home"),
        kind="integrity.failed",
    )


def failing() -> list[IntegrityStatus]:
    return list(
        db.session.scalars(
            sa.select(IntegrityStatus).where(IntegrityStatus.ok.is_(False)).order_by(IntegrityStatus.name)
        )
    )


def alert_panel(user):
    """The admin home page's alert while a ledger's last verification failed (nothing otherwise)."""
    rows = failing()
    if not rows:
        return None
    return "portal/panels/integrity.html", {
        "rows": [
            {
                "name": row.name,
                "label": LEDGER_LABELS.get(row.name, row.name),
                "status": row,
                "lines": row.problems.splitlines(),
                "command": COMMANDS.get(row.name, ""),
            }
            for row in rows
        ]
    }
