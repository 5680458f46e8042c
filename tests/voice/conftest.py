from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.voice import surveys
from tests.portal.fixtures import as_user  # noqa: F401 -- a fixture: several people in one test

START = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 09:00 in Beijing


@pytest.fixture
def clock_start() -> datetime:
    return START


@pytest.fixture
def cast(org_tree, create_user):
    """A branch (a1) with five members and a secretary; its general branch's coordinator; a
    coordinator of the other general branch; a trainer; an admin."""
    a1 = org_tree["a1"]
    members = [create_user("member", branch=a1, name=f"党员{i}") for i in range(5)]
    secretary = create_user("member", branch=a1, name="支部书记")
    secretary.position = "secretary"
    db.session.commit()
    return {
        "members": members,
        "member": members[0],
        "secretary": secretary,
        "coordinator": create_user("coordinator", "member", branch=org_tree["a"], name="赵组织"),
        "other_coordinator": create_user("coordinator", "member", branch=org_tree["b"], name="钱组织"),
        "outsider": create_user("member", branch=org_tree["b1"], name="外支部党员"),
        "trainer": create_user("trainer", "member", branch=org_tree["a1"], name="孙讲师"),
        "admin": create_user("admin", name="管理员"),
        "tree": org_tree,
    }


def build_survey(coordinator, branch, now, anonymous=True, min_group=5, title="党员满意度调查"):
    """A published survey with one question of every kind."""
    data = surveys.SurveyData(
        title=title,
        description="请如实填写。",
        branch_id=branch.id,
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=7),
        is_anonymous=anonymous,
        min_group=min_group,
    )
    survey = surveys.create_survey(coordinator, data)
    Q = surveys.QuestionData
    surveys.add_question(
        coordinator, survey, Q("single", "您对支部工作满意吗？", "总体评价", ["满意", "一般", "不满意"])
    )
    surveys.add_question(
        coordinator, survey, Q("multiple", "您希望增加哪些活动？", "", ["学习", "志愿", "参观"])
    )
    surveys.add_question(coordinator, survey, Q("rating", "为三会一课打分", "", []))
    surveys.add_question(coordinator, survey, Q("text", "其他意见", "意见建议", [], is_required=False))
    surveys.add_question(
        coordinator, survey, Q("matrix", "各项工作评价", "", ["好", "中", "差"], ["学习", "组织"])
    )
    surveys.publish_survey(coordinator, survey, now)
    db.session.commit()
    return survey


def full_answers(survey, text="无"):
    q = {question.kind.value: question.id for question in survey.questions}
    return {
        q["single"]: 0,
        q["multiple"]: [0, 2],
        q["rating"]: 4,
        q["text"]: text,
        q["matrix"]: {"0": 0, "1": 1},
    }
