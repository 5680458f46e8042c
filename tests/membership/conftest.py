from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.accounts.models import BranchPosition, MemberCategory
from app.extensions import db
from app.membership.demo import full_members_beside as two_contacts
from app.membership.services import development as dev
from app.records.services import append_entry


@pytest.fixture
def clock_start() -> datetime:
    return datetime(2026, 6, 15, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Shanghai


#: A valid walk through every step (the dates keep every rule).
WALK = [
    ("application", date(2024, 1, 2), {}),
    ("talk", date(2024, 1, 20), {}),
    ("activist", date(2024, 2, 1), {}),
    ("contacts", date(2024, 2, 5), {}),
    ("inspection_1", date(2024, 7, 1), {}),
    ("inspection_2", date(2024, 12, 20), {}),
    ("candidate", date(2025, 2, 1), {}),
    ("political_review", date(2025, 3, 1), {}),
    ("training", date(2025, 4, 1), {}),
    ("pre_review", date(2025, 4, 15), {}),
    ("publicity_start", date(2025, 4, 21), {}),
    ("publicity_end", date(2025, 4, 25), {}),
    ("assembly_vote", date(2025, 5, 6), {"votes_for": 10, "votes_present": 12}),
    ("approval", date(2025, 6, 1), {}),
    ("oath", date(2025, 6, 10), {}),
    ("full_application", date(2026, 5, 6), {}),
    ("full_vote", date(2026, 5, 20), {"votes_for": 9, "votes_present": 9}),
    ("full_approval", date(2026, 6, 1), {}),
]
WALK_DAYS = {key: day for key, day, _extra in WALK}


def credit(member, hours, day=date(2024, 6, 1), ref="t1"):
    append_entry(
        member,
        hours=Decimal(hours),
        source_kind="manual",
        source_ref=f"test:{ref}",
        actor=None,
        reason="集中培训",
        occurred_at=datetime(day.year, day.month, day.day, 4, tzinfo=UTC),
    )
    db.session.commit()


def walk(actor, member, until: str | None = None, through: str | None = None):
    """Record the valid walk for ``member`` up to (not including) ``until`` / up to ``through``."""
    for key, day, extra in WALK:
        if key == until:
            return
        if key == "contacts":
            extra = {"contacts": two_contacts(member)}
        dev.record_step(actor, member, key, day, **extra)
        if key == through:
            break
    db.session.commit()


@pytest.fixture
def people(create_user, org_tree, clock):
    secretary = create_user(branch=org_tree["a1"], name="书记甲")
    secretary.position = BranchPosition.SECRETARY
    for name in ("联系人甲", "联系人乙"):
        create_user(branch=org_tree["a1"], name=name).category = MemberCategory.FULL
    db.session.commit()
    return {
        "tree": org_tree,
        "admin": create_user("admin", branch=org_tree["root"], name="管理员"),
        "coordinator": create_user("coordinator", "member", branch=org_tree["a"], name="组织员甲"),
        "other_coordinator": create_user("coordinator", "member", branch=org_tree["b"], name="组织员乙"),
        "secretary": secretary,
        "member": create_user(branch=org_tree["a1"], name="张三"),
        "neighbour": create_user(branch=org_tree["a1"], name="李四"),
    }


@pytest.fixture
def switch_to(client, login):
    """Sign out whoever is signed in on the test client, then sign ``user`` in."""

    def do_switch(user):
        client.post("/logout")
        return login(user)

    return do_switch
