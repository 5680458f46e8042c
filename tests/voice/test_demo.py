"""``flask seed-demo`` adds a running and a closed anonymous survey with answers, suggestions in
every state, a finished interview with its transcript, three hardship cases seen only by the right
roles, and a dozen published works."""

from datetime import UTC, datetime

import sqlalchemy as sa
import time_machine

from app.accounts.models import User
from app.care.models import HardshipCase
from app.core.clock import utcnow
from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.voice import interviews, survey_results
from app.voice.models import Interview, Suggestion, SuggestionStatus, Survey, SurveyResponse
from app.works.models import Work
from tests.helpers import count


def test_the_demo_has_surveys_suggestions_and_confidential_cases(runner, app):
    with time_machine.travel(datetime(2026, 11, 26, 4, tzinfo=UTC), tick=False):
        result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        found = db.session.scalars(sa.select(Survey).order_by(Survey.id)).all()
        assert len(found) == 2
        assert all(s.is_anonymous for s in found)
        now = utcnow()
        assert [s.is_open(now) for s in found] == [True, False]
        assert not survey_results.survey_results(found[1]).is_withheld
        assert (
            db.session.scalar(sa.select(sa.func.count()).where(SurveyResponse.respondent_id.is_not(None)))
            == 0
        )
        states = set(db.session.scalars(sa.select(Suggestion.status)))
        assert states == set(SuggestionStatus)
        interview = db.session.scalars(sa.select(Interview)).one()
        assert interview.transcript_published_at is not None
        assert "先锋模范" in interviews.transcript_text(interview)
        published = db.session.scalars(sa.select(Work).where(Work.status == "published")).all()
        assert len(published) == 12
        assert sum(w.is_featured for w in published) == 3
        cases = db.session.scalars(sa.select(HardshipCase)).all()
        assert len(cases) == 3

        colleague = db.session.scalar(
            sa.select(User)
            .where(User.branch_id == cases[0].branch_id, User.id.not_in([c.member_id for c in cases]))
            .where(User.position.is_(None) | (User.position == "member"))
        )
        client = app.test_client()
        client.post("/login", data={"identifier": colleague.employee_no, "password": DEMO_PASSWORD})
        assert client.get(f"/care/{cases[0].id}").status_code == 403

        responses = count(SurveyResponse)
        again = runner.invoke(args=["seed-demo"])
        assert "0 份调查，0 条建议，0 场在线访谈，0 件困难帮扶，0 件党员作品" in again.output
        assert count(SurveyResponse) == responses
