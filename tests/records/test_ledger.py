"""The hours ledger is append-only and tamper-evident; `flask records verify` names what changed."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.records import manual, services
from app.records.models import HoursEntry, HoursTotal


@pytest.fixture
def ledger(create_user, org_tree):
    coordinator = create_user("coordinator", branch=org_tree["a"])
    member = create_user(branch=org_tree["a1"])
    other = create_user(branch=org_tree["a2"])
    entries = [
        manual.credit_manual_hours(member, Decimal("2"), "参加主题党日", coordinator),
        services.credit_offline_hours(
            member,
            source_kind="meeting",
            source_ref="meeting:1",
            minutes=90,
            actor=coordinator,
            reason="支部党员大会",
        ),
        manual.credit_manual_hours(member, Decimal("1.5"), "专题学习", coordinator),
        manual.credit_manual_hours(other, Decimal("3"), "党课", coordinator),
    ]
    db.session.commit()
    return {"member": member, "other": other, "coordinator": coordinator, "entries": entries}


def verify(runner):
    return runner.invoke(args=["records", "verify"])


def test_an_untouched_ledger_verifies(ledger, runner):
    result = verify(runner)
    assert result.exit_code == 0, result.output
    assert "校验通过" in result.output


def test_meeting_minutes_convert_at_45_minutes_per_hour(ledger):
    assert ledger["entries"][1].hours == Decimal("2.00")


def test_changing_hours_with_plain_sql_is_named(ledger, runner):
    target, untouched = ledger["entries"][1].id, ledger["entries"][0].id
    db.session.execute(sa.text("UPDATE hours_entry SET hours = 20 WHERE id = :id"), {"id": target})
    db.session.commit()
    result = verify(runner)
    assert result.exit_code == 1
    assert f"记录 #{target} 的内容被改动" in result.output
    assert f"记录 #{untouched} " not in result.output


def test_deleting_an_entry_is_named(ledger, runner):
    gone, after = ledger["entries"][1].id, ledger["entries"][2].id
    db.session.execute(sa.text("DELETE FROM hours_entry WHERE id = :id"), {"id": gone})
    db.session.commit()
    result = verify(runner)
    assert result.exit_code == 1
    assert f"记录 #{after} 之前缺少 1 条记录" in result.output


def test_deleting_the_last_entry_is_named(ledger, runner):
    last = ledger["entries"][2].id
    db.session.execute(sa.text("DELETE FROM hours_entry WHERE id = :id"), {"id": last})
    db.session.commit()
    result = verify(runner)
    assert result.exit_code == 1
    assert f"末条记录 #{last} 被删除或改动" in result.output


def test_an_inserted_entry_is_named(ledger, runner):
    first = ledger["entries"][0].id
    db.session.execute(
        sa.text(
            "INSERT INTO hours_entry (user_id, year, hours, source_kind, source_ref, title, reason,"
            " occurred_on, created_at, chain_index, prev_hash, hash)"
            " SELECT user_id, year, 8, 'manual', 'manual:forged', title, reason, occurred_on, created_at,"
            " 2, hash, hash FROM hours_entry WHERE id = :id"
        ),
        {"id": first},
    )
    db.session.commit()
    forged = db.session.scalar(sa.select(HoursEntry.id).where(HoursEntry.source_ref == "manual:forged"))
    result = verify(runner)
    assert result.exit_code == 1
    assert f"#{forged}" in result.output


def test_corrections_are_reversing_entries_not_edits(ledger):
    original = ledger["entries"][0]
    reversal = services.reverse_entry(original, "重复录入", ledger["coordinator"])
    db.session.commit()
    assert reversal.hours == Decimal("-2.00")
    assert reversal.reverses_id == original.id
    assert db.session.get(HoursEntry, original.id).hours == Decimal("2.00")
    with pytest.raises(services.RecordsError, match="已被冲销"):
        services.reverse_entry(original, "再次冲销", ledger["coordinator"])
    assert list(services.verify_ledger()) == []


def total(member, year) -> Decimal | None:
    row = db.session.get(HoursTotal, (member.id, year))
    return None if row is None else row.hours


def test_yearly_totals_follow_every_append_and_reversal(ledger):
    year = ledger["entries"][0].year
    assert total(ledger["member"], year) == Decimal("5.50")  # 2 + 90 minutes + 1.5
    assert total(ledger["other"], year) == Decimal("3.00")
    services.reverse_entry(ledger["entries"][2], "录错了", ledger["coordinator"])
    db.session.commit()
    assert total(ledger["member"], year) == Decimal("4.00")
    assert services.hours_by_year(ledger["member"].id) == [(year, Decimal("4.00"))]


def test_a_reversal_cancels_hours_in_the_year_they_counted(ledger):
    year = ledger["entries"][0].year
    last_year = manual.credit_manual_hours(
        ledger["member"], Decimal("4"), "补录去年党课", ledger["coordinator"], date(year - 1, 12, 30)
    )
    db.session.commit()
    assert total(ledger["member"], year - 1) == Decimal("4.00")
    services.reverse_entry(last_year, "去年已录过", ledger["coordinator"])
    db.session.commit()
    assert total(ledger["member"], year - 1) == Decimal("0.00")
    assert total(ledger["member"], year) == Decimal("5.50")  # this year's record is untouched
    assert list(services.verify_ledger()) == []


def test_changing_a_yearly_total_with_plain_sql_is_named(ledger, runner):
    member, year = ledger["member"], ledger["entries"][0].year
    db.session.execute(
        sa.text("UPDATE hours_total SET hours = 60 WHERE user_id = :id AND year = :year"),
        {"id": member.id, "year": year},
    )
    db.session.commit()
    result = verify(runner)
    assert result.exit_code == 1
    assert f"成员 {member.id} （无记录号）: {year} 年学时合计（60.00）与记录之和（5.50）不符" in result.output
    assert f"成员 {ledger['other'].id} " not in result.output


@pytest.mark.parametrize(
    ("hours", "reason", "message"), [("2", "", "原因"), ("0", "x", "0.01"), ("abc", "x", "数字")]
)
def test_manual_entries_need_a_reason_and_sane_hours(ledger, hours, reason, message):
    with pytest.raises(services.RecordsError, match=message):
        manual.credit_manual_hours(ledger["member"], hours, reason, ledger["coordinator"])


def test_targets_by_position(create_user, app):
    from app.accounts.models import BranchPosition

    member, secretary = create_user(), create_user()
    secretary.position = BranchPosition.SECRETARY
    policy = services.HoursPolicy.from_config(app.config)
    assert services.target_for(member, policy) == Decimal("32")
    assert services.target_for(secretary, policy) == Decimal("56")
