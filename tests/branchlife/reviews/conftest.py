"""Fixtures shared by the tests of this package."""

from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.models import BranchPosition
from app.branchlife.reviews import services
from app.extensions import db
from tests.portal.fixtures import as_user  # noqa: F401 -- a fixture, found by name

#: Noon in Beijing on the 1st of June 2026: the reviews' year is 2026.
START = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


@pytest.fixture
def clock_start() -> datetime:
    return START


@pytest.fixture
def branch_people(create_user, org_tree):
    """机关第一党支部 (a1): its 书记 and three members; a member of a2; coordinators of a and of b."""
    secretary = create_user(branch=org_tree["a1"], name="王书记")
    secretary.position = BranchPosition.SECRETARY
    db.session.commit()
    return {
        "branch": org_tree["a1"],
        "secretary": secretary,
        "members": [create_user(branch=org_tree["a1"], name=name) for name in ("张一", "李二", "赵三")],
        "neighbour": create_user(branch=org_tree["a2"], name="邻支部党员"),
        "coordinator": create_user("coordinator", "member", branch=org_tree["a"], name="本总支组织员"),
        "outsider": create_user("coordinator", "member", branch=org_tree["b"], name="外总支组织员"),
    }


@pytest.fixture
def review(clock, branch_people):
    """A round of a1 for 2026 whose voting opens in an hour and lasts a day."""
    round_ = services.open_round(
        branch_people["secretary"],
        branch_people["branch"],
        2026,
        clock.now + timedelta(hours=1),
        clock.now + timedelta(hours=25),
    )
    db.session.commit()
    return round_


def everyone(people) -> list:
    """The round's participants, secretary first."""
    return [people["secretary"], *people["members"]]


def ballot_for(voter, people, grade="qualified", **overrides) -> dict:
    """A full ballot of ``voter``: ``grade`` for every other participant, ``overrides`` by name (an
    override naming the voter is left out: nobody grades themselves)."""
    by_name = {p.name: p for p in everyone(people)}
    ballot = {str(p.id): grade for p in everyone(people) if p.id != voter.id}
    for name, value in overrides.items():
        if by_name[name].id != voter.id:
            ballot[str(by_name[name].id)] = value
    return ballot
