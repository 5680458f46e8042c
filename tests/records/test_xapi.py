"""xAPI 1.0.3 statements and their delivery to a learning record store (a real HTTP stand-in)."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.accounts import services as account_services
from app.accounts.models import Role, User
from app.extensions import db
from app.records import lrs, services
from app.records.models import XapiOutbox, XapiStatement
from app.records.services.xapi import record_statement, statement_json
from app.records.tasks import send_xapi_statements
from tests.helpers import config_set
from tests.records.lrs_standin import StandInLrs, statement_problems

SITE = "https://hongke.example.cn/"


@pytest.fixture
def standin():
    server = StandInLrs().start()
    yield server
    server.stop()


@pytest.fixture
def lrs_config(app, standin):
    """The app pointed at the stand-in, in batches of 3, backoff from 60 s."""
    with config_set(
        app,
        XAPI_SITE_URL=SITE,
        XAPI_LRS_ENDPOINT=standin.endpoint,
        XAPI_LRS_USERNAME=standin.username,
        XAPI_LRS_PASSWORD=standin.password,
        XAPI_BATCH_SIZE=3,
        XAPI_BACKOFF_SECONDS=60,
        XAPI_TIMEOUT_SECONDS=5,
    ):
        yield app.config


def attend_meetings(member, n: int, first: int = 1) -> None:
    for i in range(first, first + n):
        services.credit_offline_hours(
            member,
            source_kind="meeting",
            source_ref=f"meeting:{i}",
            minutes=90,
            actor=None,
            reason="支部党员大会",
        )
    db.session.commit()


def statuses() -> dict[str, int]:
    rows = db.session.execute(
        sa.select(XapiStatement.status, sa.func.count()).group_by(XapiStatement.status)
    ).all()
    return dict(rows)


def stored_once(standin) -> int:
    """How many statements the store holds, after checking that it stored none of them twice."""
    assert [i for i, n in standin.stored.items() if n != 1] == []
    return len(standin.stored)


def all_statements_json() -> list[dict]:
    rows = db.session.execute(sa.select(XapiStatement, User.employee_no).join(User)).all()
    return [statement_json(s, no, SITE) for s, no in rows]


# --- conformance -----------------------------------------------------------------------------------


def test_recorded_statements_conform_to_xapi_103(app, create_user, clock):
    member = create_user("member", name="王建国")
    attend_meetings(member, 1)
    services.note_quiz_passed(member.id, 42, score=85)
    record_statement(member.id, "completed", "lesson", "7", "两学一做专题党课", {"completion": True})
    db.session.commit()

    statements = all_statements_json()
    assert len(statements) == 3
    for data in statements:
        assert statement_problems(data) == [], data
        # The 工号 in an account; nothing else about the person leaves the platform.
        assert data["actor"] == {
            "objectType": "Agent",
            "account": {"homePage": SITE, "name": member.employee_no},
        }
        assert "王建国" not in str(data)
        assert data["object"]["id"].startswith(SITE + "xapi/activities/")
        assert data["timestamp"].endswith("Z")
        assert "version" not in data  # the LRS sets it; the header says which we speak
    by_verb = {s["verb"]["id"].rsplit("/", 1)[1]: s for s in statements}
    assert set(by_verb) == {"attended", "passed", "completed"}
    assert by_verb["attended"]["result"] == {"duration": "PT1H30M"}
    assert (
        by_verb["attended"]["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/meeting"
    )
    assert by_verb["passed"]["result"] == {
        "success": True,
        "score": {"scaled": 0.85, "raw": 85, "min": 0, "max": 100},
    }


def test_the_validator_catches_what_the_spec_forbids():
    """The stand-in is only as good as its rules: a broken statement must not pass them."""
    good = {
        "id": "6f3c0c5e-4a1b-4d57-9a57-2b8e3c1f0a27",
        "actor": {"objectType": "Agent", "account": {"homePage": SITE, "name": "U1"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"zh-CN": "出席"}},
        "object": {"objectType": "Activity", "id": SITE + "xapi/activities/meeting/meeting:1"},
        "timestamp": "2026-12-03T08:00:00.000Z",
        "result": {"duration": "PT45M"},
    }
    assert statement_problems(good) == []
    broken = [
        {**good, "id": "17"},
        {**good, "actor": {"name": "王建国"}},
        {**good, "actor": {"mbox": "mailto:a@b.cn", "account": good["actor"]["account"]}},
        {**good, "verb": {"id": "attended"}},
        {**good, "timestamp": "2026-12-03 08:00:00"},
        {**good, "result": {"duration": "45 minutes"}},
        {**good, "result": {"score": {"scaled": 85}}},
        {**good, "version": "2.0.0"},
    ]
    for statement in broken:
        assert statement_problems(statement), statement


def test_a_statement_id_is_stable_so_recording_again_adds_nothing(app, create_user):
    member = create_user("member")
    for _ in range(2):
        record_statement(member.id, "completed", "lesson", "9", "党课", {"completion": True})
    db.session.commit()
    ids = db.session.scalars(
        sa.select(XapiStatement.statement_id).where(XapiStatement.user_id == member.id)
    ).all()
    assert len(ids) == 1


# --- delivery --------------------------------------------------------------------------------------


def test_pending_statements_go_in_batches_once(app, create_user, standin, lrs_config, clock):
    member = create_user("member")
    attend_meetings(member, 7)

    assert send_xapi_statements() == {"sent": 7, "rejected": 0, "failed": False, "skipped": ""}
    assert [(m, n, s) for m, n, s in standin.requests] == [
        ("POST", 3, 200),
        ("POST", 3, 200),
        ("POST", 1, 200),
    ]
    assert standin.problems == []
    assert stored_once(standin) == 7
    assert statuses() == {"sent": 7}

    clock.advance(120)
    assert send_xapi_statements()["sent"] == 0
    assert len(standin.requests) == 3  # nothing pending: the store is not asked again


def test_wrong_credentials_keep_statements_and_show_on_the_health_panel(
    app, client, login_as, create_user, standin, lrs_config, clock
):
    member = create_user("member")
    attend_meetings(member, 2)
    with config_set(app, XAPI_LRS_PASSWORD="wrong"):
        report = send_xapi_statements()
    assert report["failed"] is True
    assert statuses() == {"pending": 2}
    assert standin.requests == [("POST", 2, 401)]

    login_as("admin")
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="health-records.xapi" data-status="warning"' in page
    assert "2 条待发送" in page
    assert "HTTP 401" in page


def test_an_outage_loses_nothing_and_sends_nothing_twice(app, create_user, standin, lrs_config, clock):
    member = create_user("member")
    attend_meetings(member, 4)

    standin.stop()  # connection refused
    assert send_xapi_statements()["failed"] is True
    outbox = db.session.get(XapiOutbox, lrs.OUTBOX_ID)
    assert outbox.failures == 1
    assert "Connection" in outbox.last_error
    assert outbox.next_attempt_at == clock.now + timedelta(seconds=60)

    clock.advance(30)  # still waiting: the store is not asked
    assert send_xapi_statements()["skipped"] == "backoff"

    standin.start()
    standin.mode = "unavailable"  # back on its port, answering 503
    clock.advance(31)
    assert send_xapi_statements()["failed"] is True
    db.session.refresh(outbox)
    assert outbox.failures == 2
    assert outbox.next_attempt_at == clock.now + timedelta(seconds=120)  # the wait doubled

    attend_meetings(member, 2, first=10)  # members keep attending meanwhile
    standin.mode = "ok"
    clock.advance(121)
    assert send_xapi_statements()["sent"] == 6
    db.session.refresh(outbox)
    assert outbox.failures == 0
    assert outbox.last_success_at == clock.now

    assert statuses() == {"sent": 6}
    assert stored_once(standin) == 6
    assert [s for _m, _n, s in standin.requests] == [503, 200, 200]


def test_a_lost_answer_is_resent_and_the_store_keeps_one_copy(app, create_user, standin, lrs_config, clock):
    member = create_user("member")
    attend_meetings(member, 2)
    standin.mode = "lose_answer"  # stores the batch, then fails before answering
    assert send_xapi_statements()["failed"] is True
    assert statuses() == {"pending": 2}

    standin.mode = "ok"
    clock.advance(61)
    assert send_xapi_statements()["sent"] == 2
    # The resent batch met its own ids (409); one by one, the store said it already has each (204).
    assert [(m, s) for m, _n, s in standin.requests] == [
        ("POST", 500),
        ("POST", 409),
        ("PUT", 204),
        ("PUT", 204),
    ]
    assert statuses() == {"sent": 2}
    assert set(standin.stored.values()) == {1}


def test_an_invalid_statement_is_set_aside_without_holding_back_the_others(
    app, create_user, standin, lrs_config, clock
):
    member = create_user("member")
    attend_meetings(member, 1)
    record_statement(member.id, "experienced", "manual", "x", "补录", {"duration": "forty minutes"})
    attend_meetings(member, 1, first=2)

    report = send_xapi_statements()
    assert (report["sent"], report["rejected"], report["failed"]) == (2, 1, False)
    assert statuses() == {"sent": 2, "rejected": 1}
    assert len(standin.stored) == 2
    rejected = db.session.scalars(sa.select(XapiStatement).where(XapiStatement.status == "rejected")).one()
    assert "duration" in rejected.error


def test_without_an_endpoint_nothing_is_sent(app, create_user, standin):
    member = create_user("member")
    attend_meetings(member, 1)
    assert send_xapi_statements() == {"skipped": "not configured"}
    assert standin.requests == []
    assert statuses() == {"pending": 1}


def test_two_senders_at_once_send_each_statement_once(shared_app, standin):
    """Beat fired twice, or two workers picked the task: the outbox lease lets one of them send."""
    with shared_app.app_context():
        member = account_services.create_user(
            account_services.UserData(employee_no="L1", name="刘", mobile="13900000001", branch_id=None),
            [Role.MEMBER],
            actor=None,
            password="Passw0rd-test",
        )
        db.session.commit()
        attend_meetings(member, 6)
        db.session.remove()
    standin.delay = 0.2
    settings_values = {
        "XAPI_SITE_URL": SITE,
        "XAPI_LRS_ENDPOINT": standin.endpoint,
        "XAPI_LRS_USERNAME": standin.username,
        "XAPI_LRS_PASSWORD": standin.password,
        "XAPI_BATCH_SIZE": 2,
    }
    shared_app.config.update(settings_values)
    start = threading.Barrier(4)
    reports = []

    def sender():
        with shared_app.app_context():
            start.wait()
            settings = lrs.LrsSettings.from_config(shared_app.config)
            reports.append(lrs.send_pending_statements(settings, db.session.commit))
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in reports) == 6
    assert standin.most_in_flight == 1  # never two senders talking to the store at once
    assert stored_once(standin) == 6
    assert [m for m, _n, _s in standin.requests] == ["POST"] * 3
