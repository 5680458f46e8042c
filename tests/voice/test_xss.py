"""Stored XSS: the existing payload suite through every text field of surveys (title, description,
sections, questions, options, matrix rows, free-text answers), suggestions (title, body, reply,
rejection reason, rating comment) and interviews (title, description, guest, questions, answers),
on every page that shows them."""

from datetime import timedelta

import pytest
from markupsafe import escape

from app.extensions import db
from app.voice import answers as answering
from app.voice import interviews, suggestions, surveys
from tests.portal.test_xss import PAYLOADS, executable_parts


@pytest.mark.parametrize("payload", PAYLOADS, ids=[f"p{i + 1}" for i in range(len(PAYLOADS))])
def test_no_payload_survives_on_any_voice_page(as_user, cast, clock, payload):
    coordinator, member, secretary = cast["coordinator"], cast["member"], cast["secretary"]
    short = payload[:180]
    survey = surveys.create_survey(
        coordinator,
        surveys.SurveyData(
            title=f"调查 {short}"[:200],
            description=payload,
            branch_id=cast["tree"]["a1"].id,
            opens_at=clock.now - timedelta(hours=1),
            closes_at=clock.now + timedelta(days=3),
            min_group=1,
        ),
    )
    Q = surveys.QuestionData
    surveys.add_question(coordinator, survey, Q("single", short, payload[:100], [short, "B"]))
    surveys.add_question(coordinator, survey, Q("text", short, "", []))
    surveys.add_question(coordinator, survey, Q("matrix", short, "", [short, "中"], [short]))
    surveys.publish_survey(coordinator, survey, clock.now)
    q1, q2, q3 = (q.id for q in survey.questions)
    answering.submit_response(member, survey, {q1: 0, q2: payload, q3: {"0": 0}}, clock.now)
    answering.save_draft(cast["members"][1], survey, {q2: payload}, clock.now)

    title = f"建议 {short}"[:200]
    data = suggestions.SuggestionData(title, payload, "branch", False, True)
    replied = suggestions.submit_suggestion(member, data, clock.now)
    suggestions.advance_suggestion(secretary, replied, "reply", payload, clock.now)
    suggestions.rate_suggestion(member, replied, 3, payload[:500])
    rejected = suggestions.submit_suggestion(member, data, clock.now)
    suggestions.advance_suggestion(secretary, rejected, "reject", payload, clock.now)
    interview = interviews.schedule_interview(
        cast["admin"],
        interviews.InterviewData(
            title, payload, secretary.employee_no, short[:100], coordinator.employee_no,
            clock.now - timedelta(hours=1), clock.now + timedelta(hours=1),
        ),
    )  # fmt: skip
    asked = interviews.ask_question(member, interview, short, clock.now)
    interviews.pick_question(coordinator, asked, clock.now)
    interviews.answer_question(secretary, asked, payload, clock.now)
    interviews.ask_question(member, interview, payload[:500], clock.now)
    db.session.commit()

    pages = {
        member: [
            "/surveys/",
            f"/suggestions/{replied.id}",
            f"/suggestions/{rejected.id}",
            "/suggestions/",
            "/notifications",
        ],
        cast["members"][1]: [
            f"/surveys/{survey.id}",
            f"/suggestions/{replied.id}",
            "/suggestions/?tab=public",
        ],
        coordinator: [
            "/surveys/",
            f"/surveys/{survey.id}/results",
            f"/surveys/{survey.id}/build",
            "/suggestions/?tab=handle",
            "/suggestions/figures",
        ],
        secretary: [
            f"/suggestions/{replied.id}",
            "/notifications",
            f"/interviews/{interview.id}",
            "/interviews/",
        ],
    }
    for user, paths in pages.items():
        client = as_user(user)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            page = response.get_data(as_text=True)
            assert executable_parts(page) == [], f"{path}: {executable_parts(page)}"
    results = as_user(coordinator).get(f"/surveys/{survey.id}/results").get_data(as_text=True)
    assert str(escape(payload)) in results  # the free-text answer is there, as text
