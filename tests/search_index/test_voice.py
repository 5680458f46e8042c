"""Surveys (titles), public suggestions with their replies: found within the scope their pages
show them to, never before they are published or answered; a hardship case is never found."""

from datetime import timedelta

from app.care import services as care
from app.core.clock import utcnow
from app.extensions import db
from app.voice import suggestions, surveys
from tests.search_index.conftest import find


def test_surveys_are_found_by_title_in_their_subtree_once_published(people, org_tree):
    now = utcnow()
    data = surveys.SurveyData("学习强国使用情况调查", "", org_tree["a1"].id, now, now + timedelta(days=5))
    survey = surveys.create_survey(people["coordinator"], data)
    surveys.add_question(people["coordinator"], survey, surveys.QuestionData("text", "您每天使用多久？"))
    db.session.commit()
    assert find(people["admin"], "学习强国使用情况").total == 0  # a draft
    surveys.publish_survey(people["coordinator"], survey, now)
    db.session.commit()
    assert find(people["member_a1"], "学习强国使用情况").total == 1
    assert find(people["member_b1"], "学习强国使用情况").total == 0
    assert find(people["member_a1"], "每天使用多久").total == 0  # titles only


def test_public_suggestions_are_found_with_their_reply_in_scope(people, org_tree):
    now = utcnow()
    author = people["member_a1"]
    public = suggestions.submit_suggestion(
        author, suggestions.SuggestionData("车间设立读书角", "方便职工学习", "branch", False, True), now
    )
    private = suggestions.submit_suggestion(
        author, suggestions.SuggestionData("调整值班安排读书", "私下的建议", "branch", False, False), now
    )
    db.session.commit()
    assert find(people["admin"], "读书").total == 0  # nothing answered yet
    for item in (public, private):
        suggestions.advance_suggestion(people["coordinator"], item, "reply", "已在三楼布置完成", now)
    db.session.commit()
    assert find(people["member_a1"], "读书角").total == 1
    assert find(people["member_a1"], "三楼布置").total == 1  # the reply is searchable too
    assert find(people["member_b1"], "读书角").total == 0
    assert find(people["admin"], "值班安排").total == 0


def test_a_hardship_case_is_never_a_search_result(people):
    data = care.CaseData("illness", "家属重病帮扶申请", "住院治疗费用高", "1000")
    care.file_case(people["member_a1"], people["member_a1"], data)
    db.session.commit()
    for who in ("admin", "member_a1", "trainer", "coordinator_a"):
        assert find(people[who], "重病帮扶").total == 0


def test_an_interview_is_found_by_its_transcript_once_published(people):
    from app.voice import interviews

    now = utcnow()
    start = now - timedelta(hours=3)
    data = interviews.InterviewData(
        "书记在线访谈",
        "",
        people["coordinator"].employee_no,
        "党委书记",
        people["coordinator"].employee_no,
        start,
        start + timedelta(hours=1),
    )
    interview = interviews.schedule_interview(people["admin"], data)
    question = interviews.ask_question(people["member_a1"], interview, "青年党员如何成长？", start)
    interviews.pick_question(people["coordinator"], question, start + timedelta(minutes=5))
    interviews.answer_question(
        people["coordinator"], question, "在岗位上建功立业。", start + timedelta(minutes=6)
    )
    db.session.commit()
    assert find(people["member_b1"], "建功立业").total == 0  # not published yet
    interviews.publish_transcript(people["coordinator"], interview, now)
    db.session.commit()
    assert find(people["member_b1"], "建功立业").total == 1


def test_works_are_found_once_published(people):
    from app.works import services as works

    work = works.submit_work(
        people["member_a1"], works.WorkData("article", "我的入党故事", "那年春天，支部大会通过了我的申请。")
    )
    db.session.commit()
    assert find(people["admin"], "入党故事").total == 0
    works.review_work(people["trainer"], work, True, "", utcnow())
    db.session.commit()
    assert find(people["member_b1"], "支部大会通过").total == 1
