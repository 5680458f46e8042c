from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.models import BranchPosition
from app.extensions import db

#: Monday 2 March 2026, 09:00 in Beijing.
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def clock_start():
    return START


@pytest.fixture
def people(create_user, org_tree):
    secretary = create_user(branch=org_tree["a1"], name="书记甲")
    secretary.position = BranchPosition.SECRETARY
    db.session.commit()
    return {
        "secretary": secretary,
        "x": create_user(branch=org_tree["a1"], name="党员乙"),
        "y": create_user(branch=org_tree["a1"], name="党员丙"),
        "coordinator": create_user("coordinator", "member", branch=org_tree["a"], name="总支组织员"),
        "other_member": create_user(branch=org_tree["a2"], name="别支部党员"),
        "other_coordinator": create_user("coordinator", "member", branch=org_tree["b"], name="别总支组织员"),
    }


def meeting_body(org_tree, clock, **changes):
    """A 支委会 tomorrow 09:00–10:30 (Beijing) for the whole of 机关第一党支部."""
    starts = clock.now + timedelta(days=1)
    body = {
        "branch_id": org_tree["a1"].id,
        "kind": "committee",
        "topic": "学习党章",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=90)).isoformat(),
        "place": "三楼会议室",
        "attendees": "branch",
    }
    body.update(changes)
    return body
