"""Surveys: anonymity that holds in the database, the small-group threshold, drafts, one response
per member (also under concurrency), results, export and reminders."""

import io
import threading

import openpyxl
import pytest
import sqlalchemy as sa

from app.accounts import services as accounts
from app.extensions import db
from app.portal.models import Notification
from app.voice import answers as answering
from app.voice import survey_results, surveys
from app.voice.models import SurveyDraft, SurveyParticipation, SurveyResponse
from tests.voice.conftest import build_survey, full_answers


def _user_columns():
    """Every (table, column) that refers to a user."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "user" for fk in column.foreign_keys):
                found.append((table, column))
    return found


def test_anonymous_responses_are_linked_to_nobody_in_any_table(client, cast, clock):
    survey = build_survey(cast["coordinator"], cast["tree"]["a1"], clock.now)
    secrets_by_member = {}
    for i, member in enumerate(cast["members"]):
        secret = f"只有我知道的意见第{i}条"
        answering.submit_response(member, survey, full_answers(survey, text=secret), clock.now)
        secrets_by_member[member.id] = secret
        db.session.commit()
    member_ids = set(secrets_by_member)
    user_fk_names = {(t.name, c.name) for t, c in _user_columns()}
    response_ids = set(db.session.scalars(sa.select(SurveyResponse.id)))
    assert len(response_ids) == 5

    # Every row of every table: a row holding an answer (or a response id) has no user reference,
    # and no member's name or number; a row about a member holds no answer and no response id.
    members = {m.id: m for m in cast["members"]}
    connection = db.session.connection()
    for table in db.metadata.sorted_tables:
        for row in connection.execute(sa.select(table)).mappings():
            text = " ".join(str(v) for v in row.values())
            holds_answer = any(s in text for s in secrets_by_member.values()) or any(
                r in text for r in response_ids
            )
            refers_to_member = any(row[c] in member_ids for (t, c) in user_fk_names if t == table.name) or (
                table.name == "user" and row["id"] in member_ids
            )
            names_member = any(m.employee_no in text or m.name in text for m in members.values())
            if holds_answer:
                assert not refers_to_member, (table.name, dict(row))
                assert not names_member, (table.name, dict(row))
    # The response table itself: no respondent, no time.
    columns = {c.name for c in SurveyResponse.__table__.columns}
    assert columns == {"id", "survey_id", "respondent_id", "answers"}
    assert db.session.scalar(sa.select(sa.func.count()).where(SurveyResponse.respondent_id.is_not(None))) == 0
    # The markers say who answered, and nothing of what.
    assert {p.user_id for p in db.session.scalars(sa.select(SurveyParticipation))} == member_ids
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyDraft)) == 0


def test_named_surveys_keep_the_respondent(cast, clock):
    survey = build_survey(cast["coordinator"], cast["tree"]["a1"], clock.now, anonymous=False)
    answering.submit_response(cast["member"], survey, full_answers(survey), clock.now)
    db.session.commit()
    assert db.session.scalars(sa.select(SurveyResponse.respondent_id)).one() == cast["member"].id


def test_a_group_under_the_threshold_shows_no_breakdown(client, login, cast, clock):
    survey = build_survey(cast["coordinator"], cast["tree"]["a1"], clock.now, min_group=5)
    for member in cast["members"][:4]:
        answering.submit_response(member, survey, full_answers(survey, text=f"意见{member.id}"), clock.now)
    db.session.commit()
    results = survey_results.survey_results(survey)
    assert results.responses == 4
    assert results.is_withheld
    assert results.questions == []

    login(cast["coordinator"])
    page = client.get(f"/surveys/{survey.id}/results").get_data(as_text=True)
    assert 'data-testid="results-withheld"' in page
    assert "意见" not in page
    assert "data-chart" not in page
    assert client.get(f"/surveys/{survey.id}/export.xlsx").status_code == 403

    answering.submit_response(cast["members"][4], survey, full_answers(survey, text="第五份"), clock.now)
    db.session.commit()
    page = client.get(f"/surveys/{survey.id}/results").get_data(as_text=True)
    assert "results-withheld" not in page
    assert "第五份" in page
    single = survey_results.survey_results(survey).questions[0]
    assert single.counts == [5, 0, 0]


def test_results_and_the_xlsx_export(client, login, cast, clock):
    survey = build_survey(cast["coordinator"], cast["tree"]["a1"], clock.now, min_group=1)
    for i, member in enumerate(cast["members"][:3]):
        answers = full_answers(survey, text=f"建议{i}")
        answers[survey.questions[2].id] = i + 3
        answering.submit_response(member, survey, answers, clock.now)
    db.session.commit()
    results = survey_results.survey_results(survey)
    by_kind = {r.question.kind.value: r for r in results.questions}
    assert by_kind["multiple"].counts == [3, 0, 3]
    assert by_kind["rating"].average == 4.0
    assert by_kind["rating"].counts == [0, 0, 1, 1, 1]
    assert by_kind["text"].texts == ["建议0", "建议1", "建议2"]
    assert by_kind["matrix"].cells == [[3, 0, 0], [0, 3, 0]]
    assert results.asked >= 6

    login(cast["coordinator"])
    response = client.get(f"/surveys/{survey.id}/export.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 4
    assert "姓名" not in rows[0]
    assert rows[1][1] == "满意"
    assert rows[1][2] == "满意；参观".replace("满意", "学习")
    assert "学习：好；组织：中" in rows[1]


def test_members_answer_once_with_a_draft_first(client, login, cast, clock):
    survey = build_survey(cast["coordinator"], cast["tree"]["a1"], clock.now)
    member = cast["member"]
    login(member)
    q = {question.kind.value: question.id for question in survey.questions}
    page = client.get("/surveys/")
    assert survey.title in page.get_data(as_text=True)

    saved = client.post(f"/surveys/{survey.id}", data={"action": "draft", f"q{q['single']}": "1"})
    assert saved.status_code == 302
    assert answering.draft_for(survey, member) == {str(q["single"]): 1}
    assert 'value="1" checked' in client.get(f"/surveys/{survey.id}").get_data(as_text=True)

    missing = client.post(f"/surveys/{survey.id}", data={"action": "submit", f"q{q['single']}": "1"})
    assert missing.status_code == 422
    assert "必答题" in missing.get_data(as_text=True)

    form = {
        "action": "submit",
        f"q{q['single']}": "1",
        f"q{q['multiple']}": ["0", "1"],
        f"q{q['rating']}": "5",
        f"q{q['matrix']}_r0": "2",
        f"q{q['matrix']}_r1": "0",
    }
    assert client.post(f"/surveys/{survey.id}", data=form).status_code == 302
    assert answering.has_answered(survey, member)
    assert answering.draft_for(survey, member) == {}
    again = client.post(f"/surveys/{survey.id}", data=form)
    assert again.status_code == 409


def test_malformed_answers_are_refused_not_500(client, login, cast, clock):
    survey = build_survey(cast["coordinator"], cast["tree"]["a1"], clock.now)
    login(cast["member"])
    q = {question.kind.value: question.id for question in survey.questions}
    for bad in (
        {q["single"]: 7},
        {q["single"]: True},
        {q["multiple"]: "0"},
        {q["rating"]: 6},
        {q["text"]: "字" * 2001},
        {q["matrix"]: {"9": 0}},
        {"99999999999999999999": 1},
        {"abc": 1},
    ):
        response = client.post(f"/api/v1/surveys/{survey.id}/responses", json={"answers": bad})
        assert response.status_code == 422, bad
    assert client.post(f"/api/v1/surveys/{survey.id}/responses", json=[1]).status_code == 422
    assert client.post(f"/api/v1/surveys/{survey.id}/responses", data="x").status_code == 422


def test_the_api_lists_open_surveys_and_takes_one_response(client, login, cast, clock):
    survey = build_survey(cast["coordinator"], cast["tree"]["a1"], clock.now)
    login(cast["member"])
    listed = client.get("/api/v1/surveys").get_json()["data"]["surveys"]
    assert [s["id"] for s in listed] == [survey.id]
    assert listed[0]["has_answered"] is False
    detail = client.get(f"/api/v1/surveys/{survey.id}").get_json()["data"]
    assert len(detail["questions"]) == 5
    answers = {str(k): v for k, v in full_answers(survey).items()}
    first = client.post(f"/api/v1/surveys/{survey.id}/responses", json={"answers": answers})
    assert first.status_code == 201
    second = client.post(f"/api/v1/surveys/{survey.id}/responses", json={"answers": answers})
    assert second.status_code == 409
    assert second.get_json()["success"] is False
    assert client.get("/api/v1/surveys").get_json()["data"]["surveys"][0]["has_answered"] is True


def test_surveys_reach_only_those_asked_and_only_in_their_window(as_user, cast, clock):
    survey = build_survey(cast["coordinator"], cast["tree"]["a1"], clock.now)
    client = as_user(cast["outsider"])
    assert client.get(f"/surveys/{survey.id}").status_code == 404
    assert client.get("/api/v1/surveys").get_json()["data"]["surveys"] == []
    answers = {str(k): v for k, v in full_answers(survey).items()}
    assert client.post(f"/api/v1/surveys/{survey.id}/responses", json={"answers": answers}).status_code == 404
    client = as_user(cast["member"])
    assert client.get(f"/surveys/{survey.id}/results").status_code == 403
    assert client.get(f"/surveys/{survey.id}/export.xlsx").status_code == 403
    assert as_user(cast["other_coordinator"]).get(f"/surveys/{survey.id}/results").status_code == 404
    clock.advance(8 * 86400)
    closed = as_user(cast["member"]).post(f"/api/v1/surveys/{survey.id}/responses", json={"answers": answers})
    assert closed.status_code == 409


def test_a_coordinator_builds_and_publishes_within_their_scope(client, login, as_user, cast, clock):
    login(cast["coordinator"])
    tree = cast["tree"]
    form = {
        "title": "学习需求调查",
        "branch_id": str(tree["b1"].id),
        "opens_at": "2026-06-01T08:00",
        "closes_at": "2026-06-10T18:00",
        "is_anonymous": "y",
        "min_group": "5",
    }
    assert client.post("/surveys/new", data=form).status_code == 422  # another general branch
    form["branch_id"] = str(tree["a1"].id)
    created = client.post("/surveys/new", data=form)
    assert created.status_code == 302
    survey_id = int(created.headers["Location"].split("/")[-2])
    assert client.post(f"/surveys/{survey_id}/publish").status_code == 302  # no questions: refused
    question = {"kind": "single", "text": "您最需要哪类课程？", "options": "理论\n业务\n", "is_required": "y"}
    assert client.post(f"/surveys/{survey_id}/build", data=question).status_code == 302
    assert (
        client.post(
            f"/surveys/{survey_id}/build", data={"kind": "single", "text": "x", "options": "一"}
        ).status_code
        == 422
    )
    assert client.post(f"/surveys/{survey_id}/publish").status_code == 302
    notified = db.session.scalars(
        sa.select(Notification.user_id).where(Notification.kind == "survey.published")
    ).all()
    assert cast["member"].id in notified
    assert cast["outsider"].id not in notified
    assert as_user(cast["member"]).get("/surveys/new").status_code == 403


def test_the_reminder_before_the_close_goes_once_to_those_who_have_not_answered(cast, clock):
    survey = build_survey(cast["coordinator"], cast["tree"]["a1"], clock.now)
    answering.submit_response(cast["member"], survey, full_answers(survey), clock.now)
    db.session.commit()
    assert surveys.remind_closing_surveys() == 0  # a week before the close
    clock.advance(6 * 86400 + 3600)
    sent = surveys.remind_closing_surveys()
    again = surveys.remind_closing_surveys()
    reminded = db.session.scalars(
        sa.select(Notification.user_id).where(Notification.kind == "survey.reminder")
    ).all()
    assert sent == len(reminded) > 0
    assert again == 0
    assert cast["member"].id not in reminded
    assert cast["members"][1].id in reminded


@pytest.mark.integration
def test_twenty_submissions_at_once_store_one_response(shared_app):
    with shared_app.app_context():
        from app.org.services import create_branch

        branch = create_branch("并发党支部", "committee", None, actor=None)
        coordinator = accounts.create_user(
            accounts.UserData(employee_no="SV1", name="组织员", branch_id=branch.id),
            ["coordinator"],
            None,
            "Passw0rd-x",
        )
        member = accounts.create_user(
            accounts.UserData(employee_no="SV2", name="党员", branch_id=branch.id),
            ["member"],
            None,
            "Passw0rd-x",
        )
        db.session.commit()
        from app.core.clock import utcnow

        survey = build_survey(coordinator, branch, utcnow())
        survey_id, member_id, answers = survey.id, member.id, full_answers(survey)
        db.session.remove()

        barrier = threading.Barrier(20)
        outcomes, errors = [], []

        def answer():
            try:
                with shared_app.app_context():
                    barrier.wait(timeout=30)
                    from app.accounts.models import User
                    from app.voice.models import Survey

                    user, target = db.session.get(User, member_id), db.session.get(Survey, survey_id)
                    try:
                        answering.submit_response(user, target, answers, utcnow())
                        db.session.commit()
                        outcomes.append("ok")
                    except surveys.SurveyError as exc:
                        db.session.rollback()
                        outcomes.append(exc.status)
            except Exception as exc:
                errors.append(repr(exc))

        threads = [threading.Thread(target=answer) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        assert outcomes.count("ok") == 1
        assert outcomes.count(409) == 19
        count = db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse))
        assert count == 1
