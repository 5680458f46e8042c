"""Anonymity at rest: an anonymous response is never written in the transaction that writes its
member's "has answered" marker, and (SQLite) its table keeps no rowid order. Until the delayed task
writes it, an answer is pending: counted, never shown."""

import io
from datetime import timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.voice import answers as answering
from app.voice import survey_results
from app.voice.models import SurveyParticipation, SurveyPendingAnswer, SurveyResponse
from tests.voice.conftest import build_survey, full_answers


def _rows(sql: str, **params) -> list:
    return list(db.session.execute(sa.text(sql), params))


def test_the_response_table_has_no_rowid_on_sqlite(cast):
    if db.session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite only")
    (sql,) = _rows("SELECT sql FROM sqlite_master WHERE name = 'survey_response'")[0]
    assert "WITHOUT ROWID" in sql.upper()
    with pytest.raises(sa.exc.OperationalError):
        db.session.execute(sa.text("SELECT rowid FROM survey_response"))


def test_responses_are_never_written_in_the_markers_transaction(cast, clock):
    """PostgreSQL records the writing transaction of every row (``xmin``). The marker and the
    response must never share one; on SQLite, the same holds for the commit that wrote them
    (checked through the hand-over: nothing is stored before the marker's commit)."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    survey = build_survey(cast["coordinator"], cast["tree"]["a1"], clock.now)

    def stored():
        return db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse))

    for n, member in enumerate(cast["members"]):
        answering.submit_response(member, survey, full_answers(survey), clock.now)
        assert stored() == n  # inside the marker's transaction, its response does not exist yet
        if postgres:
            (marker_xid,) = _rows(
                "SELECT xmin::text FROM survey_participation WHERE user_id = :u", u=member.id
            )[0]
        db.session.commit()
        if postgres:
            assert marker_xid not in {x for (x,) in _rows("SELECT xmin::text FROM survey_response")}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 5
    if postgres:
        markers = {x for (x,) in _rows("SELECT xmin::text FROM survey_participation")}
        responses = {x for (x,) in _rows("SELECT xmin::text FROM survey_response")}
        assert markers.isdisjoint(responses)
        assert len(responses) == 5  # each response in a transaction of its own


def test_named_responses_are_written_with_the_marker(cast, clock):
    survey = build_survey(cast["coordinator"], cast["tree"]["a1"], clock.now, anonymous=False)
    answering.submit_response(cast["member"], survey, full_answers(survey), clock.now)
    assert db.session.scalar(sa.select(SurveyResponse.respondent_id)) == cast["member"].id


@pytest.fixture
def held(monkeypatch):
    """The broker holding the tasks back: what was queued, and with which countdown."""
    from app.voice import tasks

    queued = []
    monkeypatch.setattr(
        tasks.deliver_anonymous_answer,
        "apply_async",
        lambda args, countdown: queued.append((args, countdown)),
    )
    return queued


def test_pending_answers_are_counted_and_never_shown(client, login, cast, clock, held, app):
    app.config["SURVEY_ANONYMOUS_DELAY_SECONDS"] = 300
    survey = build_survey(cast["coordinator"], cast["tree"]["a1"], clock.now, min_group=1)
    for i, member in enumerate(cast["members"][:3]):
        answering.submit_response(member, survey, full_answers(survey, text=f"待入库{i}"), clock.now)
        db.session.commit()
    del app.config["SURVEY_ANONYMOUS_DELAY_SECONDS"]
    assert len(held) == 3
    assert all(0 <= countdown <= 300 for _args, countdown in held)
    # The message carries the pending answer's random key: nothing about the member, nor the answers.
    for (pending_id,), _countdown in held:
        assert len(pending_id) == 32
    results = survey_results.survey_results(survey)
    assert (results.responses, results.pending) == (0, 3)

    login(cast["coordinator"])
    page = client.get(f"/surveys/{survey.id}/results").get_data(as_text=True)
    assert 'data-testid="results-pending"' in page
    assert "待入库0" not in page

    # The worker writes them later; a redelivered task writes nothing twice.
    from app.voice.tasks import deliver_anonymous_answer

    for args, _countdown in [*held, held[0]]:
        deliver_anonymous_answer.run(*args)
    results = survey_results.survey_results(survey)
    assert (results.responses, results.pending) == (3, 0)
    assert next(r for r in results.questions if r.question.kind.value == "text").texts == [
        "待入库0",
        "待入库1",
        "待入库2",
    ]
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(f"/surveys/{survey.id}/export.xlsx").data))
    assert len(list(workbook.worksheets[0].iter_rows())) == 4
    assert [r[1] for r in workbook.worksheets[1].iter_rows(values_only=True)][1:] == [3, 0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyParticipation)) == 3


def test_a_task_for_a_named_or_missing_survey_writes_nothing(cast, clock):
    survey = build_survey(cast["coordinator"], cast["tree"]["a1"], clock.now, anonymous=False)
    assert not answering.store_anonymous_answers(survey.id, "a" * 32, {})
    assert not answering.store_anonymous_answers(10**9, "b" * 32, {})
    assert not answering.store_anonymous_answers(survey.id, "c" * 32, ["not", "a", "dict"])


@pytest.fixture
def broker_down(monkeypatch):
    """Queueing fails after the marker's commit (the broker is unreachable)."""
    from app.voice import tasks

    def refuse(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.deliver_anonymous_answer, "apply_async", refuse)


def _responses() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse))


def test_an_answer_whose_task_cannot_be_queued_still_arrives_by_the_sweeper(
    client, login, cast, clock, broker_down, app
):
    from app.voice.tasks import sweep_anonymous_answers

    app.config["SURVEY_ANONYMOUS_DELAY_SECONDS"] = 300
    try:
        survey = build_survey(cast["coordinator"], cast["tree"]["a1"], clock.now, min_group=1)
        member = cast["member"]
        login(member)
        body = {"answers": {str(k): v for k, v in full_answers(survey, text="队列挂了也要送到").items()}}
        url = f"/api/v1/surveys/{survey.id}/responses"
        response = client.post(url, json=body)
        assert response.status_code == 201, response.get_json()
        assert _responses() == 0
        assert survey_results.survey_results(survey).pending == 1
        # The member is marked: a second answer is refused, so the first must not be lost.
        assert client.post(url, json=body).status_code == 409

        clock.advance(60)
        sweep_anonymous_answers.run()
        if _responses() == 0:  # its random delay (at most 300 s) had not passed yet: still pending
            clock.advance(300)
            assert sweep_anonymous_answers.run() == 1
        assert _responses() == 1
        assert sweep_anonymous_answers.run() == 0  # delivered once
    finally:
        del app.config["SURVEY_ANONYMOUS_DELAY_SECONDS"]
    results = survey_results.survey_results(survey)
    assert (results.responses, results.pending) == (1, 0)
    assert "队列挂了也要送到" in next(r for r in results.questions if r.question.kind.value == "text").texts
    assert db.session.scalar(sa.select(SurveyResponse.respondent_id)) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyPendingAnswer)) == 0


def test_the_sweeper_waits_for_the_random_delay(cast, clock, broker_down, app):
    from app.voice.tasks import sweep_anonymous_answers

    app.config["SURVEY_ANONYMOUS_DELAY_SECONDS"] = 600
    try:
        survey = build_survey(cast["coordinator"], cast["tree"]["a1"], clock.now)
        for member in cast["members"]:
            answering.submit_response(member, survey, full_answers(survey), clock.now)
            db.session.commit()
    finally:
        del app.config["SURVEY_ANONYMOUS_DELAY_SECONDS"]
    due = sorted(db.session.scalars(sa.select(SurveyPendingAnswer.due_at)))
    assert all(clock.now <= d <= clock.now + timedelta(seconds=600) for d in due)
    delivered = 0
    for moment in due:
        clock.advance((moment - clock.now).total_seconds())
        delivered += sweep_anonymous_answers.run()
        assert _responses() == delivered == sum(1 for d in due if d <= clock.now)
    assert delivered == 5


def test_the_task_and_the_sweeper_deliver_an_answer_once(cast, clock, held):
    survey = build_survey(cast["coordinator"], cast["tree"]["a1"], clock.now)
    answering.submit_response(cast["member"], survey, full_answers(survey), clock.now)
    db.session.commit()
    ((pending_id,), countdown) = held[0]
    clock.advance(countdown + 1)
    assert answering.sweep_pending_answers(clock.now) == 1
    assert not answering.deliver_pending_answer(pending_id)  # the task, late: nothing left to move
    db.session.commit()
    assert _responses() == 1
    response_id = db.session.scalar(sa.select(SurveyResponse.id))
    assert response_id != pending_id  # a new key: nothing ties the response to the pending row
