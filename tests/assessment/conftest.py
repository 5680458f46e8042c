"""Members with every field the statistics count, spread over two 党总支 of the org tree."""

from datetime import date

import pytest

from app.accounts.models import BranchPosition, Education, Gender, MemberCategory
from app.core.clock import localtoday
from app.extensions import db


@pytest.fixture
def create_member(create_user):
    """``create_member(branch, birth=..., education=..., ...)`` → a committed member with those fields."""

    def factory(
        branch, *, birth=None, education=None, gender=None, category=None, joined=None, position=None
    ):
        member = create_user(branch=branch)
        member.birth_date, member.education, member.gender = birth, education, gender
        member.category, member.joined_party_on, member.position = category, joined, position
        db.session.commit()
        return member

    return factory


@pytest.fixture
def people(org_tree, create_member):
    """Nine members: six under 机关党总支 (a1, a2), three under 生产党总支 (b1)."""
    year = localtoday().year
    a1, a2, b1 = org_tree["a1"], org_tree["a2"], org_tree["b1"]
    full, prob = MemberCategory.FULL, MemberCategory.PROBATIONARY
    specs = [
        (
            a1,
            date(1995, 5, 1),
            Education.BACHELOR,
            Gender.MALE,
            full,
            date(2018, 7, 1),
            BranchPosition.SECRETARY,
        ),
        (
            a1,
            date(1988, 1, 2),
            Education.MASTER,
            Gender.FEMALE,
            full,
            date(2010, 6, 1),
            BranchPosition.MEMBER,
        ),
        (a1, date(1970, 3, 3), Education.COLLEGE, Gender.MALE, full, date(1994, 7, 1), BranchPosition.MEMBER),
        (a2, date(2000, 8, 8), Education.BACHELOR, Gender.FEMALE, prob, date(year, 3, 10), None),
        (a2, None, None, None, MemberCategory.ACTIVIST, None, None),
        (
            a2,
            date(1960, 12, 1),
            Education.JUNIOR,
            Gender.MALE,
            full,
            date(1985, 1, 1),
            BranchPosition.COMMITTEE,
        ),
        (
            b1,
            date(1982, 4, 4),
            Education.DOCTOR,
            Gender.MALE,
            full,
            date(2005, 7, 1),
            BranchPosition.SECRETARY,
        ),
        (b1, date(1999, 9, 9), Education.SENIOR, Gender.FEMALE, prob, date(year, 6, 20), None),
        (
            b1,
            date(1975, 2, 2),
            Education.BACHELOR,
            Gender.FEMALE,
            full,
            date(2001, 7, 1),
            BranchPosition.MEMBER,
        ),
    ]
    return [
        create_member(b, birth=birth, education=edu, gender=g, category=c, joined=joined, position=pos)
        for b, birth, edu, g, c, joined, pos in specs
    ]
