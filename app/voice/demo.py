"""Demo surveys and suggestions for ``flask seed-demo``: a running and a closed anonymous survey with
answers, and suggestions in every state. Made through the services, as people would; idempotent
(a survey or suggestion whose title exists is left alone)."""

import random
from datetime import timedelta

import sqlalchemy as sa

from app.accounts.models import User
from app.core.clock import utcnow
from app.extensions import db
from app.org.models import Branch
from app.voice import answers as answering
from app.voice import interviews, suggestions, surveys
from app.voice.models import Interview, Suggestion, Survey

BRANCH = "机关第一党支部"
Q = surveys.QuestionData
QUESTIONS = [
    Q("single", "您对本支部组织生活的总体评价", "总体评价", ["满意", "基本满意", "不满意"]),
    Q("multiple", "您希望增加哪些学习形式？", "学习需求", ["专题党课", "现场教学", "线上微课", "读书分享"]),
    Q("rating", "为“三会一课”的质量打分", "学习需求", []),
    Q("matrix", "请评价以下工作", "分项评价", ["好", "一般", "差"], ["理论学习", "党费收缴", "党务公开"]),
    Q("text", "您还有什么意见和建议？", "意见建议", [], is_required=False),
]
OPINIONS = ["希望多安排现场教学。", "党课内容可以更贴近业务。", "", "建议每季度开展一次读书分享。", ""]
#: (title, the steps it has been through)
SUGGESTIONS = [
    ("建议在办公楼设立党员学习角", []),
    ("食堂增加夜班职工餐", ["accept"]),
    ("优化党费线上缴纳流程", ["accept", "start"]),
    ("支部活动提前一周发通知", ["accept", "start", "reply"]),
    ("为离退休党员送学上门", ["reply", "close"]),
    ("建议取消周末学习打卡", ["reject"]),
]


def _survey(coordinator: User, branch: Branch, title: str, opens, closes, members: list[User]) -> int:
    if db.session.scalar(sa.select(Survey.id).where(Survey.title == title)):
        return 0
    data = surveys.SurveyData(title, "本次调查匿名进行，请如实填写。", branch.id, opens, closes, True, 5)
    survey = surveys.create_survey(coordinator, data)
    for question in QUESTIONS:
        surveys.add_question(coordinator, survey, question)
    surveys.publish_survey(coordinator, survey, opens)
    rng = random.Random(title)
    answered_at = opens + timedelta(hours=2)
    for n, member in enumerate(members):
        by_kind = {q.kind.value: q.id for q in survey.questions}
        given = {
            by_kind["single"]: rng.choice([0, 0, 0, 1, 1, 2]),
            by_kind["multiple"]: sorted(rng.sample(range(4), rng.randint(1, 3))),
            by_kind["rating"]: rng.choice([3, 4, 4, 5, 5]),
            by_kind["matrix"]: {str(r): rng.choice([0, 0, 1]) for r in range(3)},
            by_kind["text"]: OPINIONS[n % len(OPINIONS)],
        }
        answering.submit_response(member, survey, given, answered_at)
    return 1


def seed_demo_voice() -> dict:
    branch = db.session.scalar(sa.select(Branch).where(Branch.name == BRANCH))
    coordinator = db.session.scalar(sa.select(User).where(User.employee_no == "C0001"))
    if branch is None or coordinator is None:
        return {"surveys": 0, "suggestions": 0}
    members = db.session.scalars(
        sa.select(User).where(User.branch_id == branch.id).order_by(User.employee_no).limit(12)
    ).all()
    now = utcnow()
    added = _survey(
        coordinator,
        branch,
        "2026年党员学习需求调查",
        now - timedelta(days=3),
        now + timedelta(days=10),
        members[:8],
    )
    added += _survey(
        coordinator, branch, "支部工作满意度测评", now - timedelta(days=40), now - timedelta(days=5), members
    )
    made = 0
    for n, (title, steps) in enumerate(SUGGESTIONS):
        if db.session.scalar(sa.select(Suggestion.id).where(Suggestion.title == title)):
            continue
        author = members[n % len(members)]
        data = suggestions.SuggestionData(
            title, f"{title}，方便党员参加学习和活动。", "branch", n % 3 == 0, n % 2 == 1
        )
        suggestion = suggestions.submit_suggestion(author, data, now - timedelta(days=10 - n))
        for step in steps:
            note = {"reply": "已研究落实，感谢您的建议。", "reject": "不符合学习管理规定，暂不采纳。"}.get(
                step, ""
            )
            suggestions.advance_suggestion(
                coordinator, suggestion, step, note, now - timedelta(days=5 - n / 2)
            )
        made += 1
    db.session.flush()
    return {"surveys": added, "suggestions": made, "interviews": _interview(coordinator, members, now)}


INTERVIEW = [
    ("企业改革发展给一线党员带来哪些机遇？", "改革为一线党员搭建了更多岗位建功的平台，欢迎大家积极参与。"),
    ("如何更好发挥党员先锋模范作用？", "立足岗位，做到平常时候看得出来、关键时刻站得出来。"),
    ("支部如何提高组织生活质量？", "要把学习与业务结合起来，多开展现场教学和主题党日活动。"),
]


def _interview(coordinator: User, members: list[User], now) -> int:
    """A finished interview with the committee secretary, its transcript published."""
    title = "与党委书记在线面对面"
    admin = db.session.scalar(sa.select(User).where(User.employee_no == "admin"))
    if admin is None or db.session.scalar(sa.select(Interview.id).where(Interview.title == title)):
        return 0
    start = now - timedelta(days=7)
    data = interviews.InterviewData(
        title, "围绕企业改革发展和党员关心的问题在线交流。", "admin", "公司党委书记",
        coordinator.employee_no, start, start + timedelta(hours=2),
    )  # fmt: skip
    interview = interviews.schedule_interview(admin, data)
    for n, (question_text, answer) in enumerate(INTERVIEW):
        asked = interviews.ask_question(
            members[n % len(members)], interview, question_text, start - timedelta(days=1)
        )
        live = start + timedelta(minutes=10 * (n + 1))
        interviews.pick_question(coordinator, asked, live)
        interviews.answer_question(admin, asked, answer, live + timedelta(minutes=5))
    interviews.publish_transcript(coordinator, interview, start + timedelta(hours=3))
    return 1
