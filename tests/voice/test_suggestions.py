"""Suggestions: the workflow with notifications, anonymity to handlers, public ones in scope,
the daily reminder with a moved clock, rating, figures and the API."""

import sqlalchemy as sa

from app.extensions import db
from app.portal.models import Notification
from app.voice import suggestions
from app.voice.models import Suggestion


def submit(author, to="branch", anonymous=False, public=False, now=None, title="食堂增加夜班餐"):
    data = suggestions.SuggestionData(title, "夜班职工吃饭不方便，建议增加夜班餐。", to, anonymous, public)
    suggestion = suggestions.submit_suggestion(author, data, now)
    db.session.commit()
    return suggestion


def notified(kind):
    return db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == kind)).all()


def test_the_workflow_notifies_the_author_at_each_step(cast, clock):
    member, secretary = cast["member"], cast["secretary"]
    suggestion = submit(member, now=clock.now)
    assert suggestion.branch_id == cast["tree"]["a1"].id
    assert {secretary.id, cast["coordinator"].id} <= set(notified("suggestion.submitted"))
    assert cast["other_coordinator"].id not in notified("suggestion.submitted")
    for action in ("accept", "start"):
        suggestions.advance_suggestion(secretary, suggestion, action, "", clock.now)
    suggestions.advance_suggestion(secretary, suggestion, "reply", "已与食堂协调，下月起供应。", clock.now)
    db.session.commit()
    assert suggestion.status == "replied"
    assert suggestion.handler_id == secretary.id
    assert notified("suggestion.accept") == [member.id]
    assert notified("suggestion.reply") == [member.id]
    assert [e.status for e in suggestion.events] == ["submitted", "accepted", "in_progress", "replied"]
    suggestions.rate_suggestion(member, suggestion, 5, "很满意")
    db.session.commit()
    assert suggestion.rating == 5
    assert notified("suggestion.rated") == [secretary.id]
    suggestions.advance_suggestion(member, suggestion, "close", "", clock.now)
    assert suggestion.status == "closed"


def test_wrong_steps_and_wrong_people_are_refused(as_user, cast, clock):
    suggestion = submit(cast["member"], now=clock.now)
    outsider = as_user(cast["outsider"])
    assert outsider.get(f"/suggestions/{suggestion.id}").status_code == 404
    assert outsider.post(f"/suggestions/{suggestion.id}/reply", data={"note": "x"}).status_code == 404
    assert as_user(cast["other_coordinator"]).get(f"/api/v1/suggestions/{suggestion.id}").status_code == 404
    author = as_user(cast["member"])
    assert author.post(f"/suggestions/{suggestion.id}/accept").status_code == 403
    assert author.post(f"/suggestions/{suggestion.id}/rate", data={"rating": "5"}).status_code == 302
    assert db.session.get(Suggestion, suggestion.id).rating is None  # not answered yet: refused
    secretary = as_user(cast["secretary"])
    assert secretary.post(f"/suggestions/{suggestion.id}/reject", data={"note": ""}).status_code == 302
    assert db.session.get(Suggestion, suggestion.id).status == "submitted"  # a reason is required
    assert (
        secretary.post(f"/suggestions/{suggestion.id}/reject", data={"note": "不属于本支部职责"}).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(Suggestion, suggestion.id).status == "rejected"
    assert (
        secretary.post(f"/suggestions/{suggestion.id}/reply", data={"note": "迟到的答复"}).status_code == 302
    )
    assert db.session.get(Suggestion, suggestion.id).status == "rejected"


def test_an_anonymous_suggestion_hides_its_author_from_handlers(as_user, cast, clock):
    suggestion = submit(cast["member"], anonymous=True, now=clock.now)
    page = as_user(cast["secretary"]).get(f"/suggestions/{suggestion.id}").get_data(as_text=True)
    assert cast["member"].name not in page
    assert "匿名" in page
    api = as_user(cast["coordinator"]).get(f"/api/v1/suggestions/{suggestion.id}").get_json()["data"]
    assert api["author"] is None
    assert cast["member"].name in as_user(cast["member"]).get(f"/suggestions/{suggestion.id}").get_data(
        as_text=True
    )


def test_public_suggestions_are_readable_in_scope_once_replied(as_user, cast, clock):
    suggestion = submit(cast["member"], public=True, now=clock.now)
    colleague = as_user(cast["members"][1])
    assert colleague.get(f"/suggestions/{suggestion.id}").status_code == 404  # no reply yet
    suggestions.advance_suggestion(cast["secretary"], suggestion, "reply", "已采纳", clock.now)
    db.session.commit()
    assert "已采纳" in colleague.get(f"/suggestions/{suggestion.id}").get_data(as_text=True)
    assert suggestion.title in colleague.get("/suggestions/?tab=public").get_data(as_text=True)
    assert as_user(cast["outsider"]).get(f"/suggestions/{suggestion.id}").status_code == 404
    private = submit(cast["member"], now=clock.now, title="不公开的建议")
    suggestions.advance_suggestion(cast["secretary"], private, "reply", "收到", clock.now)
    db.session.commit()
    assert colleague.get(f"/suggestions/{private.id}").status_code == 404


def test_a_waiting_suggestion_reminds_its_handlers_once_a_day(app, cast, clock):
    app.config["SUGGESTION_REMIND_DAYS"] = 3
    suggestion = submit(cast["member"], now=clock.now)
    suggestions.advance_suggestion(cast["secretary"], suggestion, "accept", "", clock.now)
    db.session.commit()

    def reminders():
        return notified("suggestion.reminder")

    for _hour in range(24 * 3 - 1):  # the beat runs hourly; under three days: nothing
        clock.advance(3600)
        suggestions.remind_waiting_suggestions()
    assert reminders() == []
    for _hour in range(2):
        clock.advance(3600)
        suggestions.remind_waiting_suggestions()
    assert reminders() == [cast["secretary"].id]  # the accepting handler, once
    for _hour in range(10):  # the rest of that local day
        clock.advance(3600)
        suggestions.remind_waiting_suggestions()
    assert len(reminders()) == 1
    clock.advance(24 * 3600)
    suggestions.remind_waiting_suggestions()
    suggestions.remind_waiting_suggestions()
    assert len(reminders()) == 2
    suggestions.advance_suggestion(cast["secretary"], suggestion, "reply", "办好了", clock.now)
    db.session.commit()
    clock.advance(5 * 24 * 3600)
    suggestions.remind_waiting_suggestions()
    assert len(reminders()) == 2  # answered: no more reminders


def test_the_api_takes_a_suggestion_and_shows_it(client, login, cast, clock):
    login(cast["member"])
    for bad in (
        {"title": "", "body": "x", "to": "branch"},
        {"title": "x", "body": "x", "to": "nowhere"},
        {"title": "x", "body": "x", "to": True},
        {"title": ["x"], "body": "x", "to": "branch"},
        {"title": "x", "body": "x", "to": "branch", "anonymous": "yes"},
        {"title": "x", "body": "x", "to": 99999999999999999999999},
    ):
        assert client.post("/api/v1/suggestions", json=bad).status_code == 422, bad
    created = client.post(
        "/api/v1/suggestions",
        json={"title": "增加党建书架", "body": "在车间增加书架", "to": "committee", "anonymous": True},
    )
    assert created.status_code == 201
    data = created.get_json()["data"]
    assert data["to"] == "committee"
    assert data["branch"]["id"] == cast["tree"]["root"].id
    assert data["author"] == cast["member"].name  # the author sees themself
    department = client.post(
        "/api/v1/suggestions", json={"title": "部门建议", "body": "内容", "to": cast["tree"]["b1"].id}
    )
    assert department.status_code == 201
    assert department.get_json()["data"]["to"] == "department"
    shown = client.get(f"/api/v1/suggestions/{data['id']}")
    assert shown.status_code == 200
    assert shown.get_json()["data"]["status"] == "submitted"


def test_the_handler_queue_and_the_figures(as_user, cast, clock):
    first = submit(cast["member"], now=clock.now)
    submit(cast["members"][1], now=clock.now, title="第二条")
    clock.advance(2 * 86400)
    suggestions.advance_suggestion(cast["secretary"], first, "reply", "答复", clock.now)
    db.session.commit()
    queue = as_user(cast["secretary"]).get("/suggestions/?tab=handle").get_data(as_text=True)
    assert "第二条" in queue
    assert "第二条" not in as_user(cast["other_coordinator"]).get("/suggestions/?tab=handle").get_data(
        as_text=True
    )
    figures = suggestions.suggestion_figures(cast["coordinator"])
    assert dict(figures["counts"])["已答复"] == 1
    assert dict(figures["counts"])["已提交"] == 1
    assert figures["average_days"] == 2.0
    assert figures["open_by_handler"] == [("待受理", 1)]
    assert as_user(cast["coordinator"]).get("/suggestions/figures").status_code == 200
    assert as_user(cast["member"]).get("/suggestions/figures").status_code == 403


def test_submitting_through_the_page(client, login, cast):
    login(cast["member"])
    assert client.get("/suggestions/new").status_code == 200
    assert client.post("/suggestions/new", data={"title": "", "body": "", "to": "branch"}).status_code == 422
    done = client.post("/suggestions/new", data={"title": "建议标题", "body": "建议内容", "to": "branch"})
    assert done.status_code == 302
    assert "建议标题" in client.get(done.headers["Location"]).get_data(as_text=True)
