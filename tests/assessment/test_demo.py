"""``flask seed-demo`` puts every demo branch and a few red education sites on the map, gives the demo
members birth dates and education, opens next week's meetings to visitors and counts the structure."""

from datetime import UTC, datetime

import sqlalchemy as sa
import time_machine

from app.accounts.models import User
from app.assessment.atlas.models import Place, PlaceKind
from app.assessment.statistics import services
from app.branchlife.models import Meeting
from app.core.clock import localtoday
from app.extensions import db
from app.org.models import Branch
from tests.helpers import count


def test_demo_fills_the_map_and_the_statistics_once(runner):
    with time_machine.travel(datetime(2026, 11, 26, 4, tzinfo=UTC), tick=False):
        assert runner.invoke(args=["seed-demo"]).exit_code == 0
        assert count(Branch, Branch.latitude.is_(None)) == 0
        assert count(Branch, Branch.address == "") == 0
        assert count(Place, Place.kind == PlaceKind.EDUCATION_BASE) >= 3
        assert count(User, User.birth_date.is_(None)) == 0
        assert count(User, User.education.is_(None)) == 0
        assert count(Meeting, Meeting.is_open.is_(True)) > 0
        joined_too_young = count(
            User, User.joined_party_on.is_not(None), User.joined_party_on < User.birth_date
        )
        assert joined_too_young == 0
        everything = services.Scope("", None)
        ages, as_of = services.member_structure(everything, "age", localtoday())
        assert as_of is not None
        assert sum(n for _k, n in ages) == count(User, User.branch_id.is_not(None))
        places = count(Place)
        assert runner.invoke(args=["seed-demo"]).exit_code == 0  # again: nothing doubled
        assert count(Place) == places
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Place)) == places
