"""``flask seed-demo`` gives members' records and coordinators' dashboards this year's meetings."""

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
import time_machine

from app.accounts.models import User
from app.branchlife import compliance
from app.branchlife.models import Attendance, Meeting, MeetingFile
from app.core.clock import localtoday
from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.org.models import Branch, BranchKind
from app.records import reports, services
from app.records.models import HoursEntry
from tests.helpers import count


def test_demo_hours_vary_by_member_are_ledger_entries_and_seed_once(runner, client):
    with time_machine.travel(datetime(2026, 11, 26, 4, tzinfo=UTC), tick=False):
        result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        entries = count(HoursEntry)
        assert entries > 2000
        assert f"{count(Meeting, Meeting.status == 'finalised')} 次三会一课" in result.output
        # organisation life: one meeting planned next week per 党支部, with a leave request waiting,
        # and some branches behind on the compliance board
        branches = db.session.scalars(sa.select(Branch).where(Branch.kind == BranchKind.BRANCH)).all()
        assert count(Meeting, Meeting.status == "published") == len(branches)
        assert count(Attendance, Attendance.state == "leave_requested") == len(branches)
        assert count(MeetingFile) == len(branches)
        boards = [compliance.board(b, 2026, localtoday())[0] for b in branches]
        assert 0 < sum(1 for b in boards if b.overdue) < len(boards)

        coordinator = db.session.scalar(sa.select(User).where(User.employee_no == "C0001"))
        today = localtoday()
        rows = reports.branch_rollup(coordinator, today.year, today)
        leaves = [r for r in rows if r.branch.parent_id == coordinator.branch_id]
        assert all(r.hours > 0 for r in leaves)
        assert sum(r.met_target for r in rows) > 0  # some are on target ...
        assert sum(r.behind_pace for r in rows) > 0  # ... and some behind, to chase
        assert len({r.average_hours for r in leaves}) > 1
        assert list(services.verify_ledger()) == []

        again = runner.invoke(args=["seed-demo"])
        assert "0 次三会一课" in again.output
        assert count(HoursEntry) == entries

        client.post("/login", data={"identifier": "M0001", "password": DEMO_PASSWORD})
        page = client.get("/records/me").get_data(as_text=True)
        assert "书记讲党课" in page
        member = db.session.scalar(sa.select(User).where(User.employee_no == "M0001"))
        assert services.hours_by_year(member.id)[0][1] > Decimal(0)
