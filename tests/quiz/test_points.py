"""The points ledger: one credit per award even under concurrent requests (real threads on a file
database or PostgreSQL), daily caps, history, branch leaderboards by default."""

import os
import threading

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app.accounts import services as account_services
from app.config import TestConfig
from app.extensions import db
from app.org.services import create_branch
from app.quiz.models import PointsDay, PointsEntry
from app.quiz.points import award_points, branch_leaderboard, personal_leaderboard, points_total
from tests.conftest import ROOT, _scratch_database, side_app
from tests.helpers import config_set


@pytest.fixture(scope="module")
def shared_db(app, tmp_root):
    """A second application on its own real database, committed to by several threads at once."""
    base = os.environ.get("DATABASE_URL", "")
    context = _scratch_database(base) if base.startswith("postgresql") else None
    url = context.__enter__() if context else f"sqlite:///{tmp_root / 'points-race.sqlite'}"

    class RaceConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    other = side_app(RaceConfig, app)
    with other.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        branch = create_branch("并发党支部", "branch", None, actor=None)
        users = [
            account_services.create_user(
                account_services.UserData(
                    employee_no=f"R{i}", name=f"并发{i}", mobile=f"1370000000{i}", branch_id=branch.id
                ),
                ["member"],
                actor=None,
            ).id
            for i in range(3)
        ]
        db.session.commit()
    yield other, users
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
    if context:
        context.__exit__(None, None, None)


def race(other, calls):
    """Run every call in its own thread, all released at once; each commits its own transaction."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def work(i, call):
        with other.app_context():
            try:
                barrier.wait()
                results[i] = call()
                db.session.commit()
            except Exception as exc:  # collected and re-raised in the test
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def test_the_same_award_from_concurrent_requests_credits_once(shared_db):
    other, (user_id, *_) = shared_db
    results = race(other, [lambda: award_points(user_id, "duel", "duel:race", 3).points for _ in range(8)])
    assert sorted(results) == [0] * 7 + [3]
    with other.app_context():
        entries = db.session.scalars(sa.select(PointsEntry).where(PointsEntry.user_id == user_id)).all()
        assert [(e.ref, e.points) for e in entries] == [("duel:race", 3)]
        assert points_total(user_id) == 3


def test_the_daily_cap_holds_under_concurrent_awards(shared_db):
    other, (_, user_id, _) = shared_db
    cap = other.config["POINTS_DAILY_CAPS"]["daily_quiz"]
    results = race(
        other,
        [lambda i=i: award_points(user_id, "daily_quiz", f"race:{i}", 1).points for i in range(cap + 5)],
    )
    assert sum(results) == cap
    with other.app_context():
        assert points_total(user_id) == cap
        assert db.session.scalar(sa.select(PointsDay.total).where(PointsDay.user_id == user_id)) == cap
        assert (
            db.session.scalar(sa.select(sa.func.count(PointsEntry.id)).where(PointsEntry.user_id == user_id))
            == cap + 5
        )


def test_awards_are_per_action_and_unknown_actions_are_refused(create_user, clock):
    user = create_user("member")
    assert award_points(user, "lesson", "lesson:1", 4).points == 4
    assert award_points(user, "article", "article:1", 2).points == 2
    assert award_points(user, "lesson", "lesson:1", 4).is_new is False
    with pytest.raises(ValueError, match="unknown points action"):
        award_points(user, "spam", "x", 1)
    with pytest.raises(ValueError, match="positive"):
        award_points(user, "lesson", "lesson:2", 0)
    assert points_total(user.id) == 6


def test_caps_start_again_the_next_local_day(create_user, clock, app):
    user = create_user("member")
    cap = app.config["POINTS_DAILY_CAPS"]["challenge"]
    awards = [award_points(user, "challenge", f"c:{i}", 1) for i in range(cap + 1)]
    assert awards[-1].capped is True
    clock.advance(16 * 3600)  # 02:00 UTC + 16 h = 02:00 the next day in Beijing
    assert award_points(user, "challenge", "c:next", 1).points == 1
    assert points_total(user.id) == cap + 1


def test_points_api_and_history_page(login_as, client, clock, api_json):
    member = login_as("member")
    award_points(member, "daily_quiz", "a", 1, "每日答题答对一题")
    award_points(member, "duel", "b", 3, "双人对战获胜")
    db.session.commit()
    _status, body = api_json("GET", "/api/v1/points")
    data = body["data"]
    # Signing in earned the day's login point first.
    assert data["total"] == 5
    assert data["today_total"] == 5
    assert data["today"]["duel"] == {"points": 3, "cap": 6, "label": "双人对战"}
    assert data["today"]["login"] == {"points": 1, "cap": 1, "label": "每日登录"}
    assert [e["action"] for e in data["recent"]] == ["duel", "daily_quiz", "login"]
    page = client.get("/quiz/points").get_data(as_text=True)
    assert "双人对战获胜" in page
    assert 'data-testid="points-total">5<' in page


def test_leaderboards_rank_branches_by_default_and_people_only_when_switched_on(
    login_as, client, create_user, org_tree, clock, api_json, app, count_queries
):
    busy = [create_user("member", branch=org_tree["a1"]) for _ in range(2)]
    lone = create_user("member", branch=org_tree["b1"], name="独行者")
    create_user("member", branch=org_tree["b1"])
    for user in busy:
        award_points(user, "lesson", "l1", 5)
    award_points(lone, "lesson", "l1", 8)
    db.session.commit()
    with count_queries() as statements:
        board = branch_leaderboard()
    assert len([s for s in statements if s.startswith("SELECT")]) == 1
    assert [(r["branch"], r["average"], r["points"], r["members"]) for r in board[:2]] == [
        ("机关第一党支部", 5.0, 10, 2),
        ("生产运行党支部", 4.0, 8, 2),
    ]
    login_as("member", branch=org_tree["a2"])
    page = client.get("/quiz/leaderboard").get_data(as_text=True)
    assert "机关第一党支部" in page
    assert "独行者" not in page
    status, _ = api_json("GET", "/api/v1/leaderboard?kind=personal")
    assert status == 404
    with config_set(app, POINTS_PERSONAL_RANKING=True):
        page = client.get("/quiz/leaderboard").get_data(as_text=True)
        status, body = api_json("GET", "/api/v1/leaderboard?kind=personal")
    assert "独行者" in page
    assert status == 200
    assert body["data"][0]["name"] == "独行者"
    assert personal_leaderboard(scope=org_tree["a"].path)[0]["points"] == 5
