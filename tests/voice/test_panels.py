"""Home-page panels: a survey waiting for the member, suggestions waiting for a handler."""

from app.extensions import db
from app.portal.panels import sections_for
from app.voice import answers as answering
from app.voice import suggestions
from tests.voice.conftest import build_survey, full_answers


def keys(user) -> list[str]:
    return [key for section in sections_for(user) for key in section.keys]


def test_a_waiting_survey_shows_on_the_home_page_until_answered(as_user, cast, clock):
    member = cast["member"]
    assert "voice.surveys" not in keys(member)
    survey = build_survey(cast["coordinator"], cast["tree"]["a1"], clock.now)
    assert "voice.surveys" in keys(member)
    assert "voice.surveys" not in keys(cast["outsider"])
    page = as_user(member).get("/").get_data(as_text=True)
    assert 'data-testid="voice-surveys"' in page
    answering.submit_response(member, survey, full_answers(survey), clock.now)
    db.session.commit()
    assert "voice.surveys" not in keys(member)


def test_a_waiting_suggestion_shows_to_its_handlers(as_user, cast, clock):
    assert "voice.suggestions" not in keys(cast["secretary"])
    data = suggestions.SuggestionData("标题", "内容", "branch")
    suggestions.submit_suggestion(cast["member"], data, clock.now)
    db.session.commit()
    assert "voice.suggestions" in keys(cast["secretary"])
    assert "voice.suggestions" in keys(cast["coordinator"])
    assert "voice.suggestions" not in keys(cast["other_coordinator"])
    assert "voice.suggestions" not in keys(cast["members"][1])
    assert 'data-testid="voice-suggestions"' in as_user(cast["secretary"]).get("/").get_data(as_text=True)
