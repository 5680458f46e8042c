"""Every way to earn points, with today's progress towards its cap, on the member's home page and at
/api/v1/points."""

import re

from app.extensions import db
from app.quiz.points import award_points

ACTIONS = {
    "daily_quiz": ("每日答题", 5),
    "challenge": ("挑战答题", 6),
    "contest": ("竞赛", 10),
    "duel": ("双人对战", 6),
    "quiz_pass": ("通过测验", 10),
    "lesson": ("完成课程学习", 10),
    "article": ("阅读文章", 6),
    "media": ("视听学习", 6),
    "course": ("学完课程", 10),
    "login": ("每日登录", 1),
    "comment": ("发表评论或回答", 2),
}


def test_the_home_page_shows_each_action_against_its_cap(client, login, clock, member):
    login(member)  # the day's sign-in point
    award_points(member, "article", "kb:1", 1)
    award_points(member, "media", "media:x:1", 1)
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    panel = page[page.index('data-testid="points-today"') :]
    for action, (label, cap) in ACTIONS.items():
        item = re.search(rf'data-action="{action}">(.*?)</li>', panel, re.S).group(1)
        earned = {"login": 1, "article": 1, "media": 1}.get(action, 0)
        assert label in item
        assert f"{earned}/{cap}" in item


def test_the_api_lists_each_action_with_todays_points_and_cap(client, login, clock, member):
    login(member)
    award_points(member, "comment", "qa_answer:question:1", 1)
    db.session.commit()
    data = client.get("/api/v1/points").get_json()["data"]
    assert set(data["today"]) == set(ACTIONS)
    for action, (label, cap) in ACTIONS.items():
        earned = {"login": 1, "comment": 1}.get(action, 0)
        assert data["today"][action] == {"points": earned, "cap": cap, "label": label}
    assert data["today_total"] == 2
