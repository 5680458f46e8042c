"""Anonymity at rest: an anonymous response is never written in the transaction that writes its
member's "has answered" marker, nor is anything holding its answers, and (SQLite) its table keeps no
rowid order. Until the delayed task writes it, an answer is pending: counted, never shown. A broker
that cannot take the answer refuses the submission: nothing lost, nothing linked."""

import io

import openpyxl
import pytest
import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.voice import answers as answering
from app.voice import survey_results
from app.voice.models import SurveyDraft, SurveyParticipation, SurveyResponse
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
        # No row of any table but the markers themselves was written by a marker's transaction.
        for table in db.metadata.sorted_tables:
            sql = f'SELECT xmin::text FROM "{table.name}"'  # noqa: S608 -- names from our own metadata
            written = {x for (x,) in _rows(sql)}
            if table.name != "survey_participation":
                assert markers.isdisjoint(written), table.name


def test_named_responses_are_written_with_the_marker(cast, clock):
    survey = build_survey(cast["coordinator"], cast["tree"]["a1"], clock.now, anonymous=False)
    answering.submit_response(cast["member"], survey, full_answers(survey), clock.now)
    assert db.session.scalar(sa.select(SurveyResponse.respondent_id)) == cast["member"].id


@pytest.fixture
def held(monkeypatch):
    """The broker holding the tasks back: what was queued, and with which countdown."""
    from app.voice import tasks

    queued = []
    monkeypatch.setitem(current_app.config, "CELERY_TASK_ALWAYS_EAGER", False)  # as in production
    monkeypatch.setattr(
        tasks.store_anonymous_response,
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
    # The message carries the survey, a random key and the answers: nothing about the member.
    for args, _countdown in held:
        survey_id, response_id, _answers = args  # exactly these three: no member, no time
        assert survey_id == survey.id
        assert len(response_id) == 32
    results = survey_results.survey_results(survey)
    assert (results.responses, results.pending) == (0, 3)

    login(cast["coordinator"])
    page = client.get(f"/surveys/{survey.id}/results").get_data(as_text=True)
    assert 'data-testid="results-pending"' in page
    assert "待入库0" not in page

    # The worker writes them later; a redelivered task writes nothing twice.
    from app.voice.tasks import store_anonymous_response

    for args, _countdown in [*held, held[0]]:
        store_anonymous_response.run(*args)
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
    """The broker is unreachable when the member submits."""
    from app.voice import tasks

    def refuse(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setitem(current_app.config, "CELERY_TASK_ALWAYS_EAGER", False)  # as in production
    monkeypatch.setattr(tasks.store_anonymous_response, "apply_async", refuse)


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_an_answer_the_broker_cannot_take_is_refused_and_can_be_given_again(
    client, login, cast, clock, broker_down, monkeypatch
):
    survey = build_survey(cast["coordinator"], cast["tree"]["a1"], clock.now, min_group=1)
    member = cast["member"]
    answering.save_draft(member, survey, full_answers(survey, text="草稿"), clock.now)
    db.session.commit()
    login(member)
    body = {"answers": {str(k): v for k, v in full_answers(survey, text="队列挂了").items()}}
    url = f"/api/v1/surveys/{survey.id}/responses"
    refused = client.post(url, json=body)
    assert refused.status_code == 503
    assert "暂时无法提交" in refused.get_json()["errors"][0]["message"]
    # Nothing half-written: no marker, no response, the draft still there.
    assert _count(SurveyParticipation) == 0
    assert _count(SurveyResponse) == 0
    assert _count(SurveyDraft) == 1

    from app.voice import tasks

    queued = []
    monkeypatch.setattr(tasks.store_anonymous_response, "apply_async", lambda a, countdown: queued.append(a))
    assert client.post(url, json=body).status_code == 201  # the broker is back: the member answers
    assert len(queued) == 1
    assert _count(SurveyParticipation) == 1
    assert _count(SurveyDraft) == 0
