"""Surveys over the API: the open ones asking me, and answering one (once)."""

from flask import request
from flask_login import current_user

from app.api import bp, ok
from app.core.clock import utcnow
from app.core.urls import absolute_url
from app.extensions import db
from app.voice import answers as answering
from app.voice import surveys as services
from app.voice.models import Survey


def survey_json(survey: Survey, answered: bool, with_questions: bool = False) -> dict:
    data = {
        "id": survey.id,
        "title": survey.title,
        "description": survey.description,
        "is_anonymous": survey.is_anonymous,
        "opens_at": survey.opens_at.isoformat(),
        "closes_at": survey.closes_at.isoformat(),
        "has_answered": answered,
        "url": absolute_url("voice_surveys.answer", survey_id=survey.id),
    }
    if with_questions:
        data["questions"] = [
            {
                "id": q.id,
                "position": q.position,
                "section": q.section,
                "kind": q.kind.value,
                "text": q.text,
                "options": q.options,
                "rows": q.rows,
                "is_required": q.is_required,
            }
            for q in survey.questions
        ]
    return data


@bp.get("/surveys")
def list_surveys():
    found = db.session.scalars(services.open_surveys_query(current_user, utcnow()).limit(100)).all()
    answered = services.answered_ids(current_user, [s.id for s in found])
    return ok({"surveys": [survey_json(s, s.id in answered) for s in found]})


@bp.get("/surveys/<int:survey_id>")
def get_survey(survey_id: int):
    survey = services.get_survey_for(survey_id, current_user)
    return ok(survey_json(survey, answering.has_answered(survey, current_user), with_questions=True))


@bp.post("/surveys/<int:survey_id>/responses")
def answer_survey(survey_id: int):
    survey = services.get_survey_for(survey_id, current_user)
    body = request.get_json(silent=True)
    answers = body.get("answers") if isinstance(body, dict) else None
    answering.submit_response(current_user, survey, answers, utcnow())
    db.session.commit()
    return ok({"survey_id": survey.id, "has_answered": True}, status=201)
