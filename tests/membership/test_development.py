"""发展党员: every named rule refuses with its name and the date it allows; overrides are recorded."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import Forbidden

from app.accounts.models import MemberCategory
from app.core.models import AuditEntry
from app.extensions import db
from app.membership.services import development as dev
from app.membership.services.reminders import send_reminders
from app.portal.models import Notification
from tests.helpers import config_set
from tests.membership.conftest import WALK_DAYS, credit, two_contacts, walk


def refused_rules(excinfo) -> list[str]:
    return [b.rule.key for b in excinfo.value.broken]


def test_the_whole_walk_makes_a_full_member(people):
    member = people["member"]
    credit(member, 24)
    walk(people["coordinator"], member)
    assert member.category == MemberCategory.FULL
    assert member.joined_party_on == WALK_DAYS["assembly_vote"]
    timeline = dev.build_timeline(member)
    assert timeline.finished
    assert timeline.stage == "full"


def test_candidate_eleven_months_after_activist_is_refused_naming_the_one_year_rule(people):
    member = people["member"]
    walk(people["secretary"], member, until="candidate")
    eleven_months = date(2025, 1, 1)
    with pytest.raises(dev.RuleBroken) as excinfo:
        dev.record_step(people["secretary"], member, "candidate", eleven_months)
    assert refused_rules(excinfo) == ["candidate_one_year"]
    assert "积极分子培养满一年" in str(excinfo.value)
    assert "2025-02-01" in str(excinfo.value)
    assert member.category == MemberCategory.ACTIVIST


def test_training_with_23_of_24_hours_is_refused_naming_the_training_rule(people):
    member = people["member"]
    credit(member, 23)
    credit(member, 5, day=date(2023, 12, 1), ref="before")  # before 积极分子: does not count
    walk(people["secretary"], member, until="training")
    with pytest.raises(dev.RuleBroken) as excinfo:
        dev.record_step(people["secretary"], member, "training", WALK_DAYS["training"])
    assert refused_rules(excinfo) == ["training_hours"]
    assert "集中培训学时" in str(excinfo.value)
    assert "23.00" in str(excinfo.value)
    credit(member, 1, ref="t2")
    dev.record_step(people["secretary"], member, "training", WALK_DAYS["training"])


def test_training_hours_follow_the_setting(people, app):
    member = people["member"]
    credit(member, 10)
    walk(people["secretary"], member, until="training")
    with config_set(app, MEMBERSHIP_TRAINING_HOURS=8):
        dev.record_step(people["secretary"], member, "training", WALK_DAYS["training"])


def test_publicity_of_four_working_days_is_refused(people):
    member = people["member"]
    credit(member, 24)
    walk(people["secretary"], member, until="publicity_end")
    with pytest.raises(dev.RuleBroken) as excinfo:
        dev.record_step(people["secretary"], member, "publicity_end", date(2025, 4, 24))  # Mon–Thu
    assert refused_rules(excinfo) == ["publicity_five_days"]
    assert "公示不少于5个工作日" in str(excinfo.value)
    assert "2025-04-25" in str(excinfo.value)


def test_a_weekend_does_not_count_as_working_days(people):
    member = people["member"]
    credit(member, 24)
    walk(people["secretary"], member, through="pre_review")
    dev.record_step(people["secretary"], member, "publicity_start", date(2025, 4, 24))  # a Thursday
    with pytest.raises(dev.RuleBroken):
        dev.record_step(people["secretary"], member, "publicity_end", date(2025, 4, 29))  # Thu..Tue = 4
    dev.record_step(people["secretary"], member, "publicity_end", date(2025, 4, 30))


def test_talk_later_than_a_month_is_refused_with_the_deadline(people):
    member = people["member"]
    dev.record_step(people["secretary"], member, "application", date(2024, 1, 2))
    with pytest.raises(dev.RuleBroken) as excinfo:
        dev.record_step(people["secretary"], member, "talk", date(2024, 2, 3))
    assert refused_rules(excinfo) == ["talk_within_month"]
    assert "2024-02-02" in str(excinfo.value)


def test_approval_after_three_months_is_refused(people):
    member = people["member"]
    credit(member, 24)
    walk(people["secretary"], member, until="approval")
    with pytest.raises(dev.RuleBroken) as excinfo:
        dev.record_step(people["coordinator"], member, "approval", date(2025, 8, 7))
    assert refused_rules(excinfo) == ["approval_within_three_months"]
    assert "2025-08-06" in str(excinfo.value)


def test_the_vote_needs_a_majority_of_those_present(people):
    member = people["member"]
    credit(member, 24)
    walk(people["secretary"], member, until="assembly_vote")
    day = WALK_DAYS["assembly_vote"]
    with pytest.raises(dev.RuleBroken) as excinfo:
        dev.record_step(people["secretary"], member, "assembly_vote", day, votes_for=6, votes_present=12)
    assert refused_rules(excinfo) == ["assembly_majority"]
    with pytest.raises(dev.RuleBroken):
        dev.record_step(people["secretary"], member, "assembly_vote", day)  # no votes given
    dev.record_step(people["secretary"], member, "assembly_vote", day, votes_for=7, votes_present=12)


def test_full_membership_before_a_year_of_probation_is_refused(people):
    member = people["member"]
    credit(member, 24)
    walk(people["secretary"], member, until="full_application")
    with pytest.raises(dev.RuleBroken) as excinfo:
        dev.record_step(people["secretary"], member, "full_application", date(2026, 5, 5))
    assert refused_rules(excinfo) == ["probation_one_year"]
    assert "2026-05-06" in str(excinfo.value)


def test_a_step_before_its_prerequisite_is_refused(people):
    member = people["member"]
    with pytest.raises(dev.RuleBroken) as excinfo:
        dev.record_step(people["secretary"], member, "activist", date(2024, 1, 1))
    assert refused_rules(excinfo) == ["activist_after_talk"]
    assert "须先记录" in str(excinfo.value)


def test_the_coordinator_overrides_with_a_reason_recorded_audited_and_shown(people, client, login):
    member, coordinator = people["member"], people["coordinator"]
    walk(people["secretary"], member, until="candidate")
    with pytest.raises(dev.DomainError) as excinfo:  # a secretary may not override
        dev.record_step(people["secretary"], member, "candidate", date(2025, 1, 1), override_reason="急需")
    assert excinfo.value.status == 403
    step = dev.record_step(coordinator, member, "candidate", date(2025, 1, 1), override_reason="上级党委特批")
    db.session.commit()
    assert step.override_rules == "candidate_one_year"
    assert step.recorded_by_id == coordinator.id
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "development.step").order_by(AuditEntry.id.desc())
    )
    assert entry.actor_id == coordinator.id
    assert entry.details["override_reason"] == "上级党委特批"
    assert entry.details["override_rules"] == ["candidate_one_year"]
    assert member.category == MemberCategory.CANDIDATE
    login(member)
    page = client.get(f"/membership/members/{member.id}/development").get_data(as_text=True)
    assert "上级党委特批" in page
    assert "积极分子培养满一年" in page
    assert coordinator.name in page


def test_the_future_and_a_second_record_are_refused(people, clock):
    member = people["member"]
    with pytest.raises(dev.DevelopmentError):
        dev.record_step(people["secretary"], member, "application", date(2026, 6, 16))
    dev.record_step(people["secretary"], member, "application", date(2026, 6, 15))
    with pytest.raises(dev.DevelopmentError) as excinfo:
        dev.record_step(people["secretary"], member, "application", date(2026, 6, 15))
    assert excinfo.value.field == "key"


def test_who_may_record(people):
    member = people["member"]
    for outsider in (people["neighbour"], people["other_coordinator"], member):
        with pytest.raises(Forbidden):
            dev.record_step(outsider, member, "application", date(2026, 1, 5))


def test_the_timeline_says_what_is_next_and_by_when(people, clock):
    member = people["member"]
    dev.record_step(people["secretary"], member, "application", date(2026, 6, 1))
    timeline = dev.build_timeline(member)
    talk = timeline.next_row
    assert talk.step.key == "talk"
    assert talk.due_on == date(2026, 7, 1)
    assert not talk.overdue
    assert timeline.stage == "applicant"
    clock.advance(timedelta(days=17).total_seconds())
    assert dev.build_timeline(member).next_row.overdue


def test_contacts_are_two_full_members_of_the_branch_and_get_the_reminders(people, clock):
    member = people["member"]
    walk(people["secretary"], member, until="contacts")
    with pytest.raises(dev.DevelopmentError):
        dev.record_step(
            people["secretary"], member, "contacts", date(2024, 2, 5), contacts=[people["neighbour"]]
        )
    with pytest.raises(dev.DevelopmentError):  # not full members
        dev.record_step(
            people["secretary"],
            member,
            "contacts",
            date(2024, 2, 5),
            contacts=[people["neighbour"], people["admin"]],
        )
    contacts = two_contacts(member)
    dev.record_step(people["secretary"], member, "contacts", date(2024, 2, 5), contacts=contacts)
    db.session.commit()
    assert {c.id for c in dev.contacts_of([member.id])[member.id]} == {c.id for c in contacts}
    send_reminders()  # inspection_1 was due 2024-08-01: overdue → the coordinator; nothing before it
    alerts = db.session.scalars(
        sa.select(Notification.user_id).where(Notification.kind == "membership.overdue")
    )
    assert set(alerts) == {people["coordinator"].id}
