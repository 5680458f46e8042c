"""Q&A: asking, answering, accepting, voting, experts, privacy, moderation, duplicates, FAQ."""

import pytest
import sqlalchemy as sa

from app.core.models import AuditEntry
from app.extensions import db
from app.kb.models import Article
from app.qa import experts, moderation, services
from app.qa.models import Answer, AnswerVote, Question, Report
from tests.helpers import count
from tests.portal.fixtures import notifications_of


@pytest.fixture
def people(org_tree, create_user):
    return {
        "asker": create_user("member", branch=org_tree["a1"], name="张提问"),
        "peer": create_user("member", branch=org_tree["a1"], name="李同事"),
        "expert": create_user("trainer", branch=org_tree["a2"], name="王专家"),
        "trainer": create_user("trainer", branch=org_tree["b1"], name="赵讲师"),
        "admin": create_user("admin", name="管理员"),
    }


def ask(user, title="预备党员的预备期是多长时间？", tags="组织发展", private=False, body="") -> Question:
    question = services.ask_question(user, title, body, tags, is_private=private)
    db.session.commit()
    return question


def answer(question, user, body="预备期为一年。") -> Answer:
    result = services.answer_question(question, user, body)
    db.session.commit()
    return result


def test_member_asks_experts_are_notified_and_answers_reach_the_asker(as_user, people):
    experts.designate_expert(people["expert"], "组织发展", people["admin"])
    db.session.commit()
    client = as_user(people["asker"])
    response = client.post(
        "/qa/ask",
        data={"title": "预备党员的预备期是多长时间？", "body": "想了解转正流程", "tags": "组织发展"},
    )
    assert response.status_code == 302
    question = db.session.scalars(sa.select(Question)).one()
    expert_news = notifications_of(people["expert"])
    assert [n.kind for n in expert_news] == ["qa.question"]
    assert expert_news[0].url == f"/qa/{question.id}"
    assert notifications_of(people["trainer"]) == []  # not an expert for this tag

    reply = as_user(people["expert"]).post(f"/qa/{question.id}/answers", data={"body": "预备期为**一年**。"})
    assert reply.status_code == 302
    news = notifications_of(people["asker"])
    assert news[0].title == "您的问题有了新回答"
    page = client.get(f"/qa/{question.id}").get_data(as_text=True)
    assert "预备期为<strong>一年</strong>。" in page
    assert db.session.get(Question, question.id).answer_count == 1


def test_an_empty_answer_is_refused_with_a_message(as_user, people):
    question = ask(people["asker"])
    response = as_user(people["expert"]).post(f"/qa/{question.id}/answers", data={"body": "  "})
    assert response.status_code == 422
    assert "请填写回答" in response.get_data(as_text=True)
    assert count(Answer) == 0


def test_accepting_is_for_the_asker_and_moves_the_mark(as_user, people):
    question = ask(people["asker"])
    first = answer(question, people["expert"])
    second = answer(question, people["trainer"], "按照党章规定，预备期为一年。")

    assert as_user(people["peer"]).post(f"/qa/answers/{first.id}/accept").status_code == 403
    client = as_user(people["asker"])
    client.post(f"/qa/answers/{first.id}/accept")
    assert notifications_of(people["expert"])[0].title == "您的回答被采纳了"
    client.post(f"/qa/answers/{second.id}/accept")
    db.session.expire_all()
    accepted = db.session.scalars(sa.select(Answer.id).where(Answer.is_accepted.is_(True))).all()
    assert accepted == [second.id]
    assert db.session.get(Question, question.id).is_solved


def test_one_vote_per_user_toggles_and_changes(as_user, people):
    question = ask(people["asker"])
    reply = answer(question, people["expert"])
    client = as_user(people["peer"])
    headers = {"Accept": "application/json"}
    assert (
        client.post(f"/qa/answers/{reply.id}/vote", data={"value": "up"}, headers=headers).get_json()["data"][
            "score"
        ]
        == 1
    )
    assert (
        client.post(f"/qa/answers/{reply.id}/vote", data={"value": "down"}, headers=headers).get_json()[
            "data"
        ]["score"]
        == -1
    )
    assert (
        client.post(f"/qa/answers/{reply.id}/vote", data={"value": "down"}, headers=headers).get_json()[
            "data"
        ]["score"]
        == 0
    )
    assert count(AnswerVote) == 0
    as_user(people["asker"]).post(f"/qa/answers/{reply.id}/vote", data={"value": "up"}, headers=headers)
    own = as_user(people["expert"]).post(
        f"/qa/answers/{reply.id}/vote", data={"value": "up"}, headers=headers
    )
    assert own.status_code == 422
    assert own.get_json()["errors"][0]["message"] == "不能给自己的回答投票"
    db.session.expire_all()
    assert db.session.get(Answer, reply.id).score == 1


def test_a_racing_second_vote_is_treated_as_a_repeat(people, monkeypatch):
    """Two clicks at once: the loser of the insert race finds the winner's row (primary key) and
    toggles it, never a second vote or a wrong score."""
    question = ask(people["asker"])
    reply = answer(question, people["expert"])
    assert services.vote_answer(reply, people["peer"], 1) == 1
    db.session.commit()
    real_get = db.session.get
    calls = {"n": 0}

    def blind_first_lookup(model, key, **kwargs):
        calls["n"] += 1
        if model is AnswerVote and calls["n"] == 1:
            return None  # as if the other click had not committed yet when we looked
        return real_get(model, key, **kwargs)

    monkeypatch.setattr(db.session, "get", blind_first_lookup)
    assert services.vote_answer(reply, people["peer"], 1) == 0
    db.session.commit()
    assert count(AnswerVote) == 0


def test_a_question_hidden_from_peers_is_hidden_everywhere_but_not_from_trainers_and_admins(
    as_user, api_as, people
):
    question = ask(people["asker"], title="个人入党材料遗失怎么办", private=True)
    peer = as_user(people["peer"])
    assert peer.get(f"/qa/{question.id}").status_code == 404
    assert "个人入党材料遗失" not in peer.get("/qa/").get_data(as_text=True)
    assert peer.get("/qa/similar?title=入党材料遗失").get_json()["data"] == []
    assert peer.post(f"/qa/{question.id}/answers", data={"body": "试试"}).status_code == 404
    for who in ("asker", "trainer", "admin"):
        assert as_user(people[who]).get(f"/qa/{question.id}").status_code == 200, who
    assert "个人入党材料遗失" in as_user(people["admin"]).get("/qa/").get_data(as_text=True)


def test_comments_notify_the_owner(as_user, people):
    question = ask(people["asker"])
    reply = answer(question, people["expert"])
    as_user(people["peer"]).post(f"/qa/{question.id}/answers/{reply.id}/comments", data={"body": "讲得清楚"})
    assert notifications_of(people["expert"])[0].title == "有人评论了您的回答"
    page = as_user(people["asker"]).get(f"/qa/{question.id}").get_data(as_text=True)
    assert "讲得清楚" in page
    empty = as_user(people["peer"]).post(f"/qa/{question.id}/comments", data={"body": ""})
    assert empty.status_code == 422


def test_report_hide_restore_with_an_audit_trail(as_user, people):
    question = ask(people["asker"])
    reply = answer(question, people["trainer"], "广告：加微信领取资料")
    peer = as_user(people["peer"])
    peer.post(f"/qa/report/answer/{reply.id}", data={"reason": "广告"})
    assert notifications_of(people["admin"])[0].kind == "qa.report"
    again = peer.post(f"/qa/report/answer/{reply.id}", data={"reason": "还是广告"}, follow_redirects=True)
    assert "您已经举报过这条内容" in again.get_data(as_text=True)
    assert count(Report) == 1

    assert peer.post(f"/qa/moderate/answer/{reply.id}/hide", data={"reason": "广告"}).status_code == 403
    admin = as_user(people["admin"])
    queue = admin.get("/qa/moderation").get_data(as_text=True)
    assert "加微信领取资料" in queue
    assert "广告" in queue
    admin.post(f"/qa/moderate/answer/{reply.id}/hide", data={"reason": "违规广告"})
    db.session.expire_all()
    assert db.session.get(Answer, reply.id).is_hidden
    assert db.session.get(Question, question.id).answer_count == 0
    assert db.session.scalars(sa.select(Report)).one().resolution == "hidden"
    assert "加微信领取资料" not in peer.get(f"/qa/{question.id}").get_data(as_text=True)
    assert "已被管理员隐藏" in notifications_of(people["trainer"])[0].title

    admin.post(f"/qa/moderate/answer/{reply.id}/restore")
    assert "加微信领取资料" in peer.get(f"/qa/{question.id}").get_data(as_text=True)
    trail = db.session.scalars(
        sa.select(AuditEntry.action)
        .where(AuditEntry.target_type == "answer", AuditEntry.target_id == reply.id)
        .order_by(AuditEntry.id)
    ).all()
    assert trail == ["qa.answer.create", "qa.report", "qa.hide", "qa.restore"]
    assert "加微信领取资料" not in admin.get("/qa/moderation").get_data(
        as_text=True
    )  # handled: off the queue
    assert db.session.get(Question, question.id).answer_count == 1


def test_moderation_queue_is_a_fixed_number_of_queries(as_user, people, count_queries, create_user):
    admin = as_user(people["admin"])

    def queue_queries():
        with count_queries() as statements:
            assert admin.get("/qa/moderation").status_code == 200
        return len(statements)

    question = ask(people["asker"])
    moderation.report_content(answer(question, people["trainer"], "一"), people["peer"], "广告")
    moderation.report_content(question, people["peer"], "重复")
    db.session.commit()
    few = queue_queries()
    for i in range(6):
        reporter = create_user("member", name=f"举报人{i}")
        moderation.report_content(answer(question, people["trainer"], f"回答{i}"), reporter, "广告")
        moderation.report_content(question, reporter, "重复")
        other = ask(create_user("member"), title=f"另一个问题{i}")
        moderation.report_content(other, reporter, "重复")
    db.session.commit()
    assert queue_queries() == few


def test_turning_an_answered_question_into_a_kb_draft(as_user, people):
    question = ask(people["asker"], body="想了解转正流程")
    answer(question, people["expert"], "预备期为一年，自支部大会通过之日起计算。")
    assert as_user(people["peer"]).post(f"/qa/{question.id}/to-article").status_code == 403
    client = as_user(people["expert"])
    response = client.post(f"/qa/{question.id}/to-article")
    assert response.status_code == 302
    article = db.session.scalars(sa.select(Article)).one()
    assert response.headers["Location"].endswith(f"/kb/articles/{article.id}/edit")
    assert article.title == question.title
    assert article.status == "draft"
    assert "想了解转正流程" in article.body
    assert "## 解答" in article.body
    assert "自支部大会通过之日起计算" in article.body
    assert [t.name for t in article.tags] == ["组织发展"]
    again = client.post(f"/qa/{question.id}/to-article", follow_redirects=True)
    assert "已经整理成文章" in again.get_data(as_text=True)
    assert count(Article) == 1

    private = ask(people["asker"], title="私人问题不能公开", private=True)
    answer(private, people["expert"])
    client.post(f"/qa/{private.id}/to-article")
    assert count(Article) == 1


def test_duplicate_suggestions_while_typing(as_user, people):
    ask(people["asker"], title="预备党员的预备期是多长时间？")
    ask(people["peer"], title="党费应该按月缴纳吗")
    found = as_user(people["peer"]).get("/qa/similar?title=预备期多长").get_json()["data"]
    assert [q["title"] for q in found] == ["预备党员的预备期是多长时间？"]
    assert as_user(people["peer"]).get("/qa/similar?title=预").get_json()["data"] == []
    ask_page = as_user(people["peer"]).get("/qa/ask").get_data(as_text=True)
    assert 'data-url="/qa/similar"' in ask_page
    assert "/static/js/qa-ask." in ask_page  # waits for a pause in typing (app/static/js/qa-ask.js)


def test_trainer_home_lists_unanswered_questions_in_their_tags(as_user, people):
    experts.designate_expert(people["expert"], ["组织发展", "党费"], people["admin"])
    db.session.commit()
    waiting = ask(people["asker"], title="党费收缴比例是多少", tags="党费")
    answered = ask(people["asker"], title="入党申请书怎么写", tags="组织发展")
    answer(answered, people["trainer"])
    ask(people["asker"], title="与我无关的问题", tags="宣传")
    items, total = experts.unanswered_in_tags(people["expert"])
    assert ([q.id for q in items], total) == ([waiting.id], 1)
    assert experts.unanswered_in_tags(people["trainer"]) == ([], 0)
