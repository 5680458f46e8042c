"""The owning domains' per-branch figures agree with their own pages: 三会一课 compliance under the
default rules (every kind, 书记讲党课, 民主评议) with the compliance board's held and required."""

from datetime import date

from app.branchlife import compliance
from app.branchlife.figures import meetings_compliance
from app.core.clock import localtoday
from app.extensions import db
from tests.assessment.conftest import meeting


def test_meeting_compliance_agrees_with_the_compliance_board(clock, create_user, org_tree):
    admin = create_user("admin")
    member = create_user(branch=org_tree["a1"])
    for month in (1, 2, 5):
        meeting(admin, org_tree["a1"], [member], date(2026, month, 3))
    db.session.commit()
    today = localtoday()
    figures = meetings_compliance(org_tree["root"].path, 2026, today)
    board = {s.branch.id: s for s in compliance.board(org_tree["root"], 2026, today)}
    assert set(figures) == set(board)
    for branch_id, status in board.items():
        required = sum(k.required for k in status.kinds)
        held = sum(min(k.held, k.required) for k in status.kinds)
        assert figures[branch_id] == (held, required)
    assert figures[org_tree["a1"].id][0] == 3  # three 党员大会, at most four due by December
