"""Home-page panels: surveys waiting for the member's answers; suggestions waiting for a handler.
Each shows only when something waits."""

import sqlalchemy as sa

from app.core.clock import utcnow
from app.extensions import db
from app.portal.panels import register_panel
from app.voice import suggestions, surveys
from app.voice.models import OPEN_STATES, Suggestion, SurveyParticipation


def surveys_waiting(user):
    unanswered = sa.not_(
        sa.exists().where(
            SurveyParticipation.survey_id == surveys.Survey.id, SurveyParticipation.user_id == user.id
        )
    )
    query = surveys.open_surveys_query(user, utcnow()).where(unanswered).order_by(None)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    return ("voice/panels/surveys.html", {"count": count}) if count else None


def suggestions_waiting(user):
    if not suggestions.is_handler(user):
        return None
    query = suggestions.handled_query(user).where(Suggestion.status.in_(OPEN_STATES)).order_by(None)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    return ("voice/panels/suggestions.html", {"count": count}) if count else None


def register_voice_panels() -> None:
    register_panel("voice.surveys", surveys_waiting, roles=("member",), order=22)
    register_panel(
        "voice.suggestions", suggestions_waiting, roles=("coordinator", "admin", "member"), order=26
    )
