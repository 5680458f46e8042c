"""``flask seed-demo`` publishes last year's 党建考核 and leaves this year's running; puts every demo
branch and a few red education sites on the map, gives the demo members birth dates and education,
opens next week's meetings to visitors and counts the structure; once (seeded once: it is slow)."""

from datetime import UTC, datetime

import sqlalchemy as sa
import time_machine

from app.accounts.models import User
from app.assessment import services
from app.assessment.atlas.models import Place, PlaceKind
from app.assessment.models import BranchResult, Scheme
from app.assessment.statistics import services as statistics
from app.branchlife.models import Meeting
from app.core.clock import localtoday
from app.extensions import db
from app.org.models import Branch, BranchKind
from tests.helpers import count


def test_demo_assesses_maps_and_counts_once(runner):
    with time_machine.travel(datetime(2026, 11, 26, 4, tzinfo=UTC), tick=False):
        result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        # 党建考核
        schemes = {s.year: s for s in db.session.scalars(sa.select(Scheme))}
        assert set(schemes) == {2025, 2026}
        assert schemes[2025].status == "published"
        assert schemes[2026].status == "running"
        branches = count(Branch, Branch.kind == BranchKind.BRANCH)
        assert count(BranchResult, BranchResult.scheme_id == schemes[2025].id) == branches
        live = [n for n in services.scores_for(schemes[2026], "") if n.is_branch]
        assert len(live) == branches
        assert len({n.total for n in live}) > 1  # branches that keep to the rules score higher
        # 红色地图 and 党务统计
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
        ages, as_of = statistics.member_structure(statistics.Scope("", None), "age", localtoday())
        assert as_of is not None
        assert sum(n for _k, n in ages) == count(User, User.branch_id.is_not(None))
        places = count(Place)
        # Again: nothing doubled.
        assert runner.invoke(args=["seed-demo"]).exit_code == 0
        assert count(Scheme) == 2
        assert count(Place) == places
