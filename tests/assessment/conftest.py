"""A small organisation with learning hours, notices with receipts and meetings, and a scheme of three
computed indicators and one manual one (the acceptance scheme); and members with every field the
statistics count, spread over two 党总支 of the org tree."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.accounts.models import BranchPosition, Education, Gender, MemberCategory, Role
from app.assessment import services
from app.branchlife import services as meetings
from app.core.clock import localtoday
from app.extensions import db
from app.portal import services as portal
from app.records.services.ledger import append_entry
from tests.helpers import config_set

#: 15 December 2026, 10:00 in Beijing: the year's four quarters are all due.
START = datetime(2026, 12, 15, 2, 0, tzinfo=UTC)

#: One rule only, so that the independent count in the tests is simple to state.
ONE_RULE = {"general_assembly": ("quarter", 1)}


@pytest.fixture
def clock_start():
    return START


@pytest.fixture
def one_rule(app):
    with config_set(app, BRANCHLIFE_REQUIRED=ONE_RULE, BRANCHLIFE_SECRETARY_LECTURES=0):
        yield


def credit(member, hours, ref, day=date(2026, 6, 1)):
    append_entry(
        member,
        hours=Decimal(hours),
        source_kind="manual",
        source_ref=f"test:{ref}",
        actor=None,
        reason="集中培训",
        occurred_at=datetime(day.year, day.month, day.day, 4, tzinfo=UTC),
    )


def notice(actor, branch, title):
    data = portal.NoticeData(
        kind="notice",
        title=title,
        body="请回执",
        branch_id=branch.id if branch else None,
        requires_receipt=True,
    )
    return portal.create_notice(data, actor, publish=True)


def meeting(actor, branch, members, day):
    return meetings.record_meeting(
        actor,
        branch,
        meetings.MeetingData(
            kind="general_assembly",
            title="支部党员大会",
            held_on=day,
            minutes=60,
            member_ids=[m.id for m in members],
        ),
    )


@pytest.fixture
def world(clock, one_rule, create_user, org_tree):
    t = org_tree
    people = {
        "admin": create_user(Role.ADMIN, name="党委管理员"),
        "coordinator": create_user(Role.COORDINATOR, Role.MEMBER, branch=t["a"], name="机关组织员"),
        "other_coordinator": create_user(Role.COORDINATOR, Role.MEMBER, branch=t["b"], name="生产组织员"),
        "trainer": create_user(Role.TRAINER, branch=t["b2"], name="讲师"),
        "m1": create_user(branch=t["a1"], name="甲"),
        "m2": create_user(branch=t["a1"], name="乙"),
        "m3": create_user(branch=t["a1"], name="丙"),
        "m4": create_user(branch=t["a2"], name="丁"),
        "m5": create_user(branch=t["a2"], name="戊"),
        "m6": create_user(branch=t["b1"], name="己"),
    }
    p = people
    for member, hours in (("m1", 40), ("m2", 10), ("m3", 20), ("m4", 33), ("m6", 50)):
        credit(p[member], hours, member)
    company = notice(p["admin"], None, "全公司通知")
    office = notice(p["coordinator"], t["a"], "机关通知")
    for reader, read in (("m1", [company, office]), ("m2", [company]), ("m4", [office]), ("m6", [company])):
        for n in read:
            portal.mark_notice_read(n, p[reader], confirm=True)
    meeting(p["admin"], t["a1"], [p["m1"]], date(2026, 3, 10))
    meeting(p["admin"], t["a1"], [p["m1"], p["m2"]], date(2026, 8, 10))
    for month in (1, 4, 7, 10, 11):
        meeting(p["admin"], t["a2"], [p["m4"]], date(2026, month, 5))
    scheme = services.create_scheme(p["admin"], "2026年度党建考核", 2026, None)
    learning = services.add_section(p["admin"], scheme, "学习教育")
    life = services.add_section(p["admin"], scheme, "组织生活")
    indicators = {
        "hours": services.add_indicator(p["admin"], learning, "学时达标", "hours_target", 30, "0.2", "0.8"),
        "receipts": services.add_indicator(p["admin"], learning, "通知回执", "notice_receipts", 20),
        "meetings": services.add_indicator(p["admin"], life, "三会一课", "meeting_compliance", 30),
        "manual": services.add_indicator(p["admin"], life, "特色工作", "manual", 20),
    }
    services.start_scheme(p["admin"], scheme)
    db.session.commit()
    return {"tree": t, "people": p, "scheme": scheme, "indicators": indicators, "notices": [company, office]}


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def create_member(create_user):
    """``create_member(branch, birth=..., education=..., ...)`` → a committed member with those fields."""

    def factory(
        branch, *, birth=None, education=None, gender=None, category=None, joined=None, position=None
    ):
        member = create_user(branch=branch)
        member.birth_date, member.education, member.gender = birth, education, gender
        member.category, member.joined_party_on, member.position = category, joined, position
        db.session.commit()
        return member

    return factory


@pytest.fixture
def people(org_tree, create_member):
    """Nine members: six under 机关党总支 (a1, a2), three under 生产党总支 (b1)."""
    year = localtoday().year
    a1, a2, b1 = org_tree["a1"], org_tree["a2"], org_tree["b1"]
    full, prob = MemberCategory.FULL, MemberCategory.PROBATIONARY
    specs = [
        (
            a1,
            date(1995, 5, 1),
            Education.BACHELOR,
            Gender.MALE,
            full,
            date(2018, 7, 1),
            BranchPosition.SECRETARY,
        ),
        (
            a1,
            date(1988, 1, 2),
            Education.MASTER,
            Gender.FEMALE,
            full,
            date(2010, 6, 1),
            BranchPosition.MEMBER,
        ),
        (a1, date(1970, 3, 3), Education.COLLEGE, Gender.MALE, full, date(1994, 7, 1), BranchPosition.MEMBER),
        (a2, date(2000, 8, 8), Education.BACHELOR, Gender.FEMALE, prob, date(year, 3, 10), None),
        (a2, None, None, None, MemberCategory.ACTIVIST, None, None),
        (
            a2,
            date(1960, 12, 1),
            Education.JUNIOR,
            Gender.MALE,
            full,
            date(1985, 1, 1),
            BranchPosition.COMMITTEE,
        ),
        (
            b1,
            date(1982, 4, 4),
            Education.DOCTOR,
            Gender.MALE,
            full,
            date(2005, 7, 1),
            BranchPosition.SECRETARY,
        ),
        (b1, date(1999, 9, 9), Education.SENIOR, Gender.FEMALE, prob, date(year, 6, 20), None),
        (
            b1,
            date(1975, 2, 2),
            Education.BACHELOR,
            Gender.FEMALE,
            full,
            date(2001, 7, 1),
            BranchPosition.MEMBER,
        ),
    ]
    return [
        create_member(b, birth=birth, education=edu, gender=g, category=c, joined=joined, position=pos)
        for b, birth, edu, g, c, joined, pos in specs
    ]
