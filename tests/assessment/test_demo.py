"""``flask seed-demo`` publishes last year's 党建考核 and leaves this year's running, once."""

from datetime import UTC, datetime

import sqlalchemy as sa
import time_machine

from app.assessment import services
from app.assessment.models import BranchResult, Scheme
from app.extensions import db
from app.org.models import Branch, BranchKind
from tests.helpers import count


def test_demo_publishes_last_year_and_runs_this_year(runner):
    with time_machine.travel(datetime(2026, 11, 26, 4, tzinfo=UTC), tick=False):
        result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        schemes = {s.year: s for s in db.session.scalars(sa.select(Scheme))}
        assert set(schemes) == {2025, 2026}
        assert schemes[2025].status == "published"
        assert schemes[2026].status == "running"
        branches = count(Branch, Branch.kind == BranchKind.BRANCH)
        assert count(BranchResult, BranchResult.scheme_id == schemes[2025].id) == branches
        live = [n for n in services.scores_for(schemes[2026], "") if n.is_branch]
        assert len(live) == branches
        assert len({n.total for n in live}) > 1  # branches that keep to the rules score higher
        assert runner.invoke(args=["seed-demo"]).exit_code == 0
        assert count(Scheme) == 2
