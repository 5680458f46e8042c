"""Online interviews: questions and votes beforehand, the moderator picks and the guest answers only
in the live window (server clock), the live page's feed, and the published transcript."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.portal.models import Notification
from app.voice import interviews
from app.voice.models import InterviewQuestion


def schedule(cast, now):
    data = interviews.InterviewData(
        "与党委书记面对面",
        "围绕企业改革发展与党员关心的问题在线交流。",
        cast["secretary"].employee_no,
        "公司党委书记",
        cast["coordinator"].employee_no,
        now + timedelta(days=1),
        now + timedelta(days=1, hours=2),
    )
    interview = interviews.schedule_interview(cast["admin"], data)
    db.session.commit()
    return interview


def test_the_interview_from_questions_to_transcript(as_user, cast, clock):
    interview = schedule(cast, clock.now)
    member, colleague = as_user(cast["member"]), as_user(cast["members"][1])
    assert (
        member.post(
            f"/interviews/{interview.id}/questions", data={"text": "企业改革对一线职工有什么影响？"}
        ).status_code
        == 302
    )
    question = db.session.scalars(sa.select(InterviewQuestion)).one()
    vote = f"/interviews/{interview.id}/questions/{question.id}/vote"
    assert colleague.post(vote).status_code == 302
    assert colleague.post(vote).status_code == 302  # a second vote is refused (flashed)
    db.session.refresh(question)
    assert question.votes == 1

    moderator, guest = as_user(cast["coordinator"]), as_user(cast["secretary"])
    pick = f"/interviews/{interview.id}/questions/{question.id}/pick"
    assert moderator.post(pick).status_code == 302
    db.session.refresh(question)
    assert question.status == "waiting"  # before the live window: nothing happens
    assert member.post(pick).status_code == 403

    clock.advance(86400 + 60)
    moderator, guest, member = (
        as_user(cast["coordinator"]),
        as_user(cast["secretary"]),
        as_user(cast["member"]),
    )
    assert moderator.post(pick).status_code == 302
    answer = f"/interviews/{interview.id}/questions/{question.id}/answer"
    assert member.post(answer, data={"answer": "我来回答"}).status_code == 403
    assert guest.post(answer, data={"answer": "改革将让一线职工有更多成长通道。"}).status_code == 302
    feed = member.get(f"/interviews/{interview.id}/feed").get_json()["data"]
    assert feed["phase"] == "live"
    assert feed["answers"][0]["answer"] == "改革将让一线职工有更多成长通道。"
    told = db.session.scalars(
        sa.select(Notification.user_id).where(Notification.kind == "interview.answered")
    )
    assert list(told) == [cast["member"].id]

    clock.advance(2 * 3600)
    moderator, member = as_user(cast["coordinator"]), as_user(cast["member"])
    assert (
        member.post(f"/interviews/{interview.id}/questions", data={"text": "迟到的问题"}).status_code == 302
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InterviewQuestion)) == 1
    assert "文字实录整理中" in member.get(f"/interviews/{interview.id}").get_data(as_text=True)
    assert member.post(f"/interviews/{interview.id}/publish").status_code == 403
    assert moderator.post(f"/interviews/{interview.id}/publish").status_code == 302
    page = member.get(f"/interviews/{interview.id}").get_data(as_text=True)
    assert "更多成长通道" in page
    assert "与党委书记面对面" in member.get("/interviews/").get_data(as_text=True)


def test_only_admins_schedule_and_members_ask_at_most_five(as_user, cast, clock):
    assert as_user(cast["coordinator"]).get("/interviews/new").status_code == 403
    admin = as_user(cast["admin"])
    form = {
        "title": "访谈",
        "guest_no": "nobody",
        "moderator_no": cast["coordinator"].employee_no,
        "starts_at": "2026-06-02T10:00",
        "ends_at": "2026-06-02T11:00",
    }
    assert admin.post("/interviews/new", data=form).status_code == 422
    form["guest_no"] = cast["secretary"].employee_no
    assert admin.post("/interviews/new", data=form).status_code == 302
    interview = schedule(cast, clock.now)
    for n in range(5):
        interviews.ask_question(cast["member"], interview, f"问题{n}", clock.now)
    with pytest.raises(interviews.InterviewError) as refused:
        interviews.ask_question(cast["member"], interview, "第六个", clock.now)
    assert refused.value.status == 409


@pytest.mark.integration
def test_twenty_votes_at_once_from_one_member_count_once(shared_app):
    import threading

    from app.accounts import services as accounts
    from app.accounts.models import User
    from app.core.clock import utcnow

    with shared_app.app_context():
        users = [
            accounts.create_user(
                accounts.UserData(employee_no=f"IV{n}", name=f"访谈{n}"), roles, None, "Passw0rd-x"
            )
            for n, roles in enumerate((["admin"], ["member"], ["member"]))
        ]
        db.session.commit()
        admin, asker, voter = users
        now = utcnow()
        data = interviews.InterviewData(
            "并发投票",
            "",
            asker.employee_no,
            "",
            admin.employee_no,
            now + timedelta(days=1),
            now + timedelta(days=1, hours=1),
        )
        interview = interviews.schedule_interview(admin, data)
        question = interviews.ask_question(asker, interview, "问题", now)
        db.session.commit()
        question_id, voter_id = question.id, voter.id
        db.session.remove()

        barrier = threading.Barrier(20)
        outcomes, errors = [], []

        def vote():
            try:
                with shared_app.app_context():
                    barrier.wait(timeout=30)
                    target = db.session.get(InterviewQuestion, question_id)
                    try:
                        interviews.vote_question(db.session.get(User, voter_id), target, utcnow())
                        db.session.commit()
                        outcomes.append("ok")
                    except interviews.InterviewError as exc:
                        db.session.rollback()
                        outcomes.append(exc.status)
            except Exception as exc:
                errors.append(repr(exc))

        threads = [threading.Thread(target=vote) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        assert outcomes.count("ok") == 1
        assert db.session.get(InterviewQuestion, question_id).votes == 1


def test_a_published_transcript_is_linked_from_the_news(as_user, cast, clock):
    """Publishing the transcript asks the portal (through ``news_requested``) for one company-wide
    新闻动态 item linking to it; members find it under the news and are notified like any news."""
    from app.core.models import AuditEntry
    from app.portal.models import Notice, NoticeKind

    interview = schedule(cast, clock.now)
    clock.advance(86400 + 3 * 3600)
    moderator = as_user(cast["coordinator"])
    assert moderator.post(f"/interviews/{interview.id}/publish").status_code == 302
    assert moderator.post(f"/interviews/{interview.id}/publish").status_code in (302, 409)
    notice = db.session.scalars(sa.select(Notice)).one()
    assert notice.kind is NoticeKind.NEWS
    assert notice.branch_id is None
    assert notice.published_at is not None
    assert notice.author_id == cast["coordinator"].id
    assert notice.title == "在线访谈文字实录：与党委书记面对面"
    assert f"(/interviews/{interview.id})" in notice.body
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "notice.publish")).one()
    assert audit.actor_id == cast["coordinator"].id

    member = as_user(cast["member"])
    news = member.get("/notices?kind=news").get_data(as_text=True)
    assert "在线访谈文字实录" in news
    page = member.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert f'href="/interviews/{interview.id}"' in page
    told = db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "notice.published"))
    assert cast["member"].id in set(told)


def test_the_news_receiver_links_only_to_this_site(cast):
    from app.portal import services as portal

    for url in ("https://evil.example/", "//evil.example/x", None, "javascript:alert(1)"):
        with pytest.raises(portal.NoticeError):
            portal.publish_linked_news(cast["admin"], "标题", "摘要", url, "test")
    notice = portal.publish_linked_news(
        cast["admin"], "标题", "摘要[点我](javascript:alert(1))", "/x", "test"
    )
    assert "](javascript:" not in notice.body
