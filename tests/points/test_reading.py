"""Reading a knowledge-base article: POST /api/v1/articles/<id>/progress. The server measures the time
on page by its own clock; the reading point needs that time and the end, and comes once."""

import threading

import pytest
import sqlalchemy as sa
import time_machine

from app.accounts import services as account_services
from app.extensions import db
from app.kb import authoring, reading
from app.kb.models import ArticleReading
from app.quiz.models import PointsEntry
from app.quiz.points import points_today
from app.records.services import Heartbeat
from tests.points.conftest import START


@pytest.fixture
def admin(create_user):
    return create_user("admin", name="管理员")


def publish(admin, title="党章学习要点"):
    article = authoring.create_article(admin, title=title, body="党员的义务。" * 200, status="published")
    db.session.commit()
    return article


def reading_points(user) -> list[PointsEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(PointsEntry).where(PointsEntry.user_id == user.id, PointsEntry.action == "article")
        )
    )


class Reader:
    """The article page's script: heartbeats through the API, the clock moved between them."""

    def __init__(self, client, clock, article_id, session="page-aaaa-0001"):
        self.client, self.clock, self.url = client, clock, f"/api/v1/articles/{article_id}/progress"
        self.session, self.seq, self.seconds = session, 0, 0.0

    def send(self, event="tick", visible=True, seq=None, position=None):
        payload = {
            "session_id": self.session,
            "seq": self.seq if seq is None else seq,
            "position": self.seconds if position is None else position,
            "rate": 1,
            "visible": visible,
            "event": event,
        }
        if seq is None:
            self.seq += 1
        return self.client.post(self.url, json=payload)

    def read(self, seconds, step=15):
        body = None
        for _ in range(int(seconds // step)):
            self.clock.advance(step)
            self.seconds += step
            response = self.send()
            assert response.status_code == 200, response.get_json()
            body = response.get_json()["data"]
        return body


def test_a_minute_on_screen_and_the_end_earn_the_reading_point_once(client, login, clock, admin, member):
    article = publish(admin)
    login(member)
    page = client.get(f"/kb/articles/{article.id}").get_data(as_text=True)
    assert f'data-progress-url="/api/v1/articles/{article.id}/progress"' in page
    assert "/static/js/kb-reading." in page
    r = Reader(client, clock, article.id)
    r.send("play")
    state = r.read(30)
    assert state["visible_seconds"] == 30
    assert not state["read"]
    state = r.send("ended").get_json()["data"]  # the end, after half a minute: not yet
    assert state["reached_end"]
    assert not state["read"]
    assert reading_points(member) == []
    state = r.read(30)
    assert state["read"]
    assert [(e.ref, e.points) for e in reading_points(member)] == [(f"kb:{article.id}", 1)]
    # Reading on, and reading it again in another page view, earn nothing more.
    r.read(60)
    again = Reader(client, clock, article.id, session="page-bbbb-0002")
    again.send("play")
    again.read(90)
    again.send("ended")
    assert len(reading_points(member)) == 1
    assert points_today(member.id)["article"] == {"points": 1, "cap": 6}
    assert "已完成阅读" in client.get(f"/kb/articles/{article.id}").get_data(as_text=True)


def test_fast_heartbeats_claiming_ten_minutes_earn_nothing(client, login, clock, admin, member):
    article = publish(admin)
    login(member)
    r = Reader(client, clock, article.id)
    r.send("play")
    for _ in range(60):  # sixty heartbeats within the same second, each claiming ten more seconds
        r.seconds += 10
        assert r.send().status_code == 200
    state = r.send("ended", position=600).get_json()["data"]
    assert state["visible_seconds"] == 0
    assert not state["read"]
    assert reading_points(member) == []


def test_a_long_silence_counts_one_heartbeat_interval_at_most(client, login, clock, admin, member):
    article = publish(admin)
    login(member)
    r = Reader(client, clock, article.id)
    r.send("play")
    clock.advance(600)
    state = r.send("ended", position=600).get_json()["data"]
    assert state["visible_seconds"] == 18  # 15 s interval + 3 s tolerance
    assert reading_points(member) == []


def test_hidden_time_and_alternating_pages_count_nothing(client, login, clock, admin, member):
    article = publish(admin)
    login(member)
    r = Reader(client, clock, article.id)
    r.send("play")
    r.send("hidden", visible=False)
    clock.advance(300)
    r.send("play")
    # Two pages of the same article taking turns: each heartbeat takes over, nothing counts.
    other = Reader(client, clock, article.id, session="page-bbbb-0002")
    for _ in range(10):
        clock.advance(15)
        other.send("tick")
        clock.advance(15)
        r.send("tick")
    state = r.send("ended").get_json()["data"]
    assert state["visible_seconds"] == 0
    assert reading_points(member) == []


def test_articles_open_side_by_side_in_tabs_count_one_page_at_a_time(client, login, clock, admin, member):
    """Three articles in three tabs, every tab's heartbeats running: two minutes of wall time are not
    six minutes of reading. The tab left open alone then reads as any page does."""
    articles = [publish(admin, title=f"并读{i}") for i in range(3)]
    login(member)
    tabs = [Reader(client, clock, a.id, session=f"page-tab{i}-0001") for i, a in enumerate(articles)]
    for tab in tabs:
        tab.send("play")
    for _ in range(8):
        clock.advance(15)
        states = [tab.send("tick").get_json()["data"] for tab in tabs]
    assert sum(state["visible_seconds"] for state in states) <= 120
    assert [state["active"] for state in states] == [False, False, False]  # each page says so
    for tab in tabs:
        tab.send("ended")
    assert reading_points(member) == []

    last = tabs[-1]  # the other two tabs closed
    last.send("play")
    last.read(60)
    assert last.send("ended").get_json()["data"]["read"] is True
    assert [e.points for e in reading_points(member)] == [1]


def test_a_background_tab_or_the_tab_just_left_does_not_stop_the_page_being_read(
    client, login, clock, admin, member
):
    first, second, third = (publish(admin, title=f"换页{i}") for i in range(3))
    login(member)
    reading = Reader(client, clock, first.id, session="page-read-0001")
    reading.send("play")
    reading.read(30)
    # A link opened in a background tab: its page loads hidden.
    background = Reader(client, clock, second.id, session="page-back-0002")
    assert background.send("play", visible=False).get_json()["data"]["active"] is True  # its own view
    assert reading.read(15)["visible_seconds"] == 45  # still counted
    # Switching to a third tab: its "play" may arrive before the "hidden" of the tab left.
    switched = Reader(client, clock, third.id, session="page-next-0003")
    switched.send("play")
    late = reading.send("hidden", visible=False).get_json()["data"]
    assert late["active"] is False  # taken over, and it takes nothing back
    state = switched.read(30)
    assert state["visible_seconds"] == 30
    assert state["active"] is True


def test_a_replayed_heartbeat_changes_nothing(client, login, clock, admin, member):
    article = publish(admin)
    login(member)
    r = Reader(client, clock, article.id)
    r.send("play")
    r.read(15)
    clock.advance(15)
    replayed = [r.send("tick", seq=1).get_json()["data"]["visible_seconds"] for _ in range(5)]
    assert replayed == [15, 15, 15, 15, 15]


def test_the_reading_cap_is_six_a_day(client, login, clock, admin, member):
    articles = [publish(admin, title=f"第{i}篇") for i in range(7)]
    login(member)
    for i, article in enumerate(articles):
        r = Reader(client, clock, article.id, session=f"page-{i:04d}-abcd")
        r.send("play")
        r.read(60)
        r.send("ended")
    assert sorted(e.points for e in reading_points(member)) == [0, 1, 1, 1, 1, 1, 1]
    assert points_today(member.id)["article"] == {"points": 6, "cap": 6}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"seq": 0, "position": 0, "rate": 1, "visible": True, "event": "play"}, "session_id"),
        (
            {
                "session_id": "page-aaaa-0001",
                "seq": "x",
                "position": 0,
                "rate": 1,
                "visible": True,
                "event": "play",
            },
            "seq",
        ),
        (
            {
                "session_id": "page-aaaa-0001",
                "seq": 0,
                "position": -1,
                "rate": 1,
                "visible": True,
                "event": "play",
            },
            "position",
        ),
        (
            {
                "session_id": "page-aaaa-0001",
                "seq": 0,
                "position": 0,
                "rate": 1,
                "visible": True,
                "event": "jump",
            },
            "event",
        ),
    ],
)
def test_bad_heartbeats_get_a_chinese_422(client, login, admin, member, payload, field):
    article = publish(admin)
    login(member)
    response = client.post(f"/api/v1/articles/{article.id}/progress", json=payload)
    assert response.status_code == 422
    error = response.get_json()["errors"][0]
    assert error["field"] == field
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])


def test_drafts_missing_articles_and_strangers_are_refused(client, login, clock, admin, member, create_user):
    draft = authoring.create_article(admin, title="草稿", body="未发布。")
    db.session.commit()
    beat = {
        "session_id": "page-aaaa-0001",
        "seq": 0,
        "position": 0,
        "rate": 1,
        "visible": True,
        "event": "play",
    }
    assert client.post(f"/api/v1/articles/{draft.id}/progress", json=beat).status_code == 401
    login(member)
    assert client.post(f"/api/v1/articles/{draft.id}/progress", json=beat).status_code == 404
    assert client.post("/api/v1/articles/999999/progress", json=beat).status_code == 404
    broken = client.post(
        f"/api/v1/articles/{draft.id}/progress", data="不是 JSON", content_type="application/json"
    )
    assert broken.status_code == 400
    assert broken.get_json()["errors"][0]["message"] == "请求体不是有效的 JSON"


@pytest.mark.integration
def test_many_final_heartbeats_at_once_earn_once(shared_app):
    """Twenty copies of the heartbeat that completes the reading, all at once, on the real database."""
    policy = reading.ReadingPolicy.from_config(shared_app.config)
    with time_machine.travel(START, tick=False) as traveller, shared_app.app_context():
        admin = account_services.create_user(
            account_services.UserData(employee_no="KA1", name="管理员", mobile="13955551000"), ["admin"], None
        )
        member = account_services.create_user(
            account_services.UserData(employee_no="KM1", name="读者", mobile="13955551001"), ["member"], None
        )
        article = authoring.create_article(admin, title="并发阅读", body="内容。" * 100, status="published")
        db.session.commit()
        ids = (member.id, article.id)
        reading.record_reading(
            member, article.id, Heartbeat("page-race-0001", 0, 0, 1, True, "ended"), policy
        )
        db.session.commit()
        for seq in range(1, 4):
            traveller.shift(15)
            reading.record_reading(
                member, article.id, Heartbeat("page-race-0001", seq, 15 * seq, 1, True, "tick"), policy
            )
            db.session.commit()
        db.session.remove()
        traveller.shift(15)
        final = Heartbeat("page-race-0001", 4, 60, 1, True, "tick")
        barrier = threading.Barrier(20)
        errors = []

        def send():
            try:
                with shared_app.app_context():
                    barrier.wait(timeout=30)
                    user = db.session.get(type(member), ids[0])
                    reading.record_reading(user, ids[1], final, policy)
                    db.session.commit()
            except Exception as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=send) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        row = db.session.get(ArticleReading, ids)
        assert row.visible_seconds == 60
        assert row.read_at is not None
        awarded = db.session.scalars(
            sa.select(PointsEntry).where(PointsEntry.user_id == ids[0], PointsEntry.action == "article")
        ).all()
        assert [(e.ref, e.points) for e in awarded] == [(f"kb:{ids[1]}", 1)]
        db.session.remove()
