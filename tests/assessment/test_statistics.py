"""党务统计: every figure checked against an independent count (hand-written SQL over the raw tables,
or the fixture's own arithmetic), the summary refresh, and the charts' JSON, CSV and XLSX."""

import csv
import io
from datetime import UTC, date, datetime

import openpyxl
import pytest
import sqlalchemy as sa

from app.assessment.statistics import buckets, services
from app.assessment.statistics.charts import CHARTS
from app.branchlife.models import Meeting
from app.core.clock import localtoday
from app.extensions import db
from app.membership.models import DevelopmentStep, LetterDirection, Transfer, TransferLetter, TransferStatus
from app.membership.rules import STEPS
from app.records.services import credit_offline_hours

YEAR = localtoday().year


#: The member columns counted, as SQL names (a fixed list: never text from outside the test).
_COLUMNS = {"gender", "education", "category", "position"}


def _raw_counts(column: str, prefix: str) -> dict[str, int]:
    """Independent count: members by ``column`` under ``prefix`` with LIKE (not the range filter)."""
    assert column in _COLUMNS
    value = f"COALESCE(u.{column}, 'none')"
    query = (
        f'SELECT {value}, COUNT(*) FROM "user" u JOIN branch b ON b.id = u.branch_id'  # noqa: S608
        f" WHERE b.path LIKE :prefix AND u.is_active_account = :active GROUP BY {value}"
    )
    return dict(db.session.execute(sa.text(query), {"prefix": prefix + "%", "active": True}).all())


def _age(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _expected_age_bands(members, today):
    out = {}
    for m in members:
        if m.birth_date is None:
            key = "none"
        else:
            age = _age(m.birth_date, today)
            key = next(b.key for b in buckets.AGE_BANDS if (b.low or 0) <= age < (b.high or 999))
        out[key] = out.get(key, 0) + 1
    return out


@pytest.mark.parametrize("refreshed", [False, True], ids=["live", "summary"])
def test_structure_matches_independent_counts(people, org_tree, refreshed):
    today = localtoday()
    if refreshed:
        assert services.refresh_structure(today) is True
    for branch, members in ((None, people), (org_tree["a"], people[:6]), (org_tree["b1"], people[6:])):
        scope = services.Scope(branch.path if branch else "", branch)
        prefix = branch.path if branch else "/"
        for key in ("gender", "education", "category", "position"):
            rows, as_of = services.member_structure(scope, key, today)
            assert (as_of is not None) is refreshed
            assert {k: n for k, n in rows if n} == _raw_counts(key, prefix), key
        ages, _ = services.member_structure(scope, "age", today)
        assert {k: n for k, n in ages if n} == _expected_age_bands(members, today)
    party_age, _ = services.member_structure(services.Scope("", None), "party_age", today)
    party = dict(party_age)
    assert party["lt5"] == 2  # the two admitted this year; 2018 is 5to10
    assert party["5to10"] == 1
    assert party["ge30"] == 2
    assert sum(party.values()) == 9
    assert party["none"] == 1


def test_structure_rows_follow_display_order_with_empty_buckets(people):
    rows, _ = services.member_structure(services.Scope("", None), "education", localtoday())
    assert [k for k, _n in rows] == ["junior", "senior", "college", "bachelor", "master", "doctor", "none"]
    assert dict(rows)["bachelor"] == 3


def test_refresh_is_idempotent_and_the_summary_waits_for_it(people, org_tree, create_member):
    today, everything = localtoday(), services.Scope("", None)
    services.refresh_structure(today)
    services.refresh_structure(today)  # twice: replaced, not doubled
    db.session.commit()
    assert sum(n for _k, n in services.member_structure(everything, "gender", today)[0]) == 9
    create_member(org_tree["a1"])
    # Read from the summary until the next refresh, which then counts the newcomer.
    assert sum(n for _k, n in services.member_structure(everything, "gender", today)[0]) == 9
    services.refresh_structure(today)
    assert sum(n for _k, n in services.member_structure(everything, "gender", today)[0]) == 10


def test_refresh_task_commits_and_reports_as_of(people, client, login_as, org_tree):
    from app.assessment.statistics.tasks import refresh_structure_task

    assert refresh_structure_task.run() is True
    assert services.structure_as_of() is not None
    login_as("admin")
    page = client.get("/assessment/statistics/").get_data(as_text=True)
    assert "党员结构统计截至" in page


def _month_of(d) -> int:
    return d.month - 1


def test_monthly_changes_match_independent_counts(people, org_tree):
    a, a1, a2, b1 = org_tree["a"], org_tree["a1"], org_tree["a2"], org_tree["b1"]
    decided = datetime(YEAR, 4, 15, 4, tzinfo=UTC)
    for member, source, target in ((people[0], a1, b1), (people[1], a1, a2), (people[6], b1, a2)):
        db.session.add(
            Transfer(
                member_id=member.id,
                from_branch_id=source.id,
                to_branch_id=target.id,
                status=TransferStatus.APPROVED,
                decided_at=decided,
            )
        )
    db.session.add(Transfer(member_id=people[2].id, from_branch_id=a1.id, to_branch_id=b1.id))  # pending
    db.session.add_all(
        [
            TransferLetter(
                member_id=people[3].id,
                direction=LetterDirection.IN,
                branch_id=a2.id,
                outside_org="外单位",
                issued_on=date(YEAR, 5, 2),
            ),
            TransferLetter(
                member_id=people[4].id,
                direction=LetterDirection.OUT,
                branch_id=a2.id,
                outside_org="外单位",
                issued_on=date(YEAR, 8, 2),
                receipt_on=date(YEAR, 9, 1),
            ),
            TransferLetter(  # no 回执 yet: not gone
                member_id=people[5].id,
                direction=LetterDirection.OUT,
                branch_id=a2.id,
                outside_org="外单位",
                issued_on=date(YEAR, 8, 2),
            ),
        ]
    )
    db.session.commit()
    scope_a = services.Scope(a.path, a)
    incoming, outgoing = services.transfers(scope_a, YEAR)
    assert incoming[3] == 1
    assert incoming[4] == 1
    assert sum(incoming) == 2
    assert outgoing[3] == 1
    assert outgoing[8] == 1
    assert sum(outgoing) == 2
    b_in, b_out = services.transfers(services.Scope(org_tree["b"].path, org_tree["b"]), YEAR)
    assert (sum(b_in), sum(b_out)) == (1, 1)
    new = services.new_members(scope_a, YEAR)
    raw = db.session.scalar(
        sa.text(
            'SELECT COUNT(*) FROM "user" u JOIN branch b ON b.id = u.branch_id WHERE b.path LIKE :p'
            " AND u.joined_party_on >= :start AND u.joined_party_on < :end"
        ),
        {"p": a.path + "%", "start": date(YEAR, 1, 1), "end": date(YEAR + 1, 1, 1)},
    )
    assert sum(new) == raw == 1
    assert new[2] == 1


def test_development_meetings_and_hours_by_month(people, org_tree, create_user):
    a, a2 = org_tree["a"], org_tree["a2"]
    activist = people[4]
    keys = [STEPS[0].key, STEPS[1].key, STEPS[2].key]
    for i, key in enumerate(keys):
        db.session.add(DevelopmentStep(member_id=activist.id, key=key, done_on=date(YEAR, 2 + i, 5)))
    db.session.add(DevelopmentStep(member_id=people[7].id, key=keys[0], done_on=date(YEAR, 2, 5)))  # b1
    for day, status in (
        (date(YEAR, 5, 6), "finalised"),
        (date(YEAR, 5, 20), "finalised"),
        (date(YEAR, 6, 1), "published"),
    ):
        db.session.add(
            Meeting(
                branch_id=a2.id,
                branch_name=a2.name,
                kind="assembly",
                title=f"会议{day}",
                held_on=day,
                minutes=90,
                status=status,
            )
        )
    coordinator = create_user("coordinator", branch=org_tree["root"])
    for member, day, minutes in (
        (people[0], date(YEAR, 3, 3), 90),
        (people[3], date(YEAR, 3, 9), 45),
        (people[6], date(YEAR, 3, 9), 45),
    ):
        credit_offline_hours(
            member,
            source_kind="manual",
            source_ref=f"t-{member.id}",
            minutes=minutes,
            actor=coordinator,
            reason="测试",
            occurred_on=day,
        )
    db.session.commit()
    scope = services.Scope(a.path, a)
    stages = services.development(scope, YEAR)
    assert sum(sum(v) for v in stages.values()) == 3
    assert stages[STEPS[0].stage][1] == 1
    meetings = services.meetings_by_month(scope, YEAR)
    assert meetings[4] == 2
    assert sum(meetings) == 2
    hours = services.hours_by_month(scope, YEAR)
    raw = db.session.scalar(
        sa.text(
            'SELECT SUM(e.hours) FROM hours_entry e JOIN "user" u ON u.id = e.user_id JOIN branch b'
            " ON b.id = u.branch_id WHERE b.path LIKE :p AND e.year = :y"
        ),
        {"p": a.path + "%", "y": YEAR},
    )
    assert hours[2] == pytest.approx(float(raw)) == pytest.approx(3.0)
    weeks, active = services.active_by_week(scope, localtoday())
    assert len(weeks) == 12
    assert active[-1] == 2


# --- pages, downloads -----------------------------------------------------------------------------


def test_every_chart_downloads_as_csv_and_xlsx_matching_its_json(people, org_tree, client, login_as):
    login_as("coordinator", branch=org_tree["a"])
    for name in CHARTS:
        data = client.get(f"/assessment/statistics/charts/{name}.json").get_json()
        assert data["labels"]
        assert all(len(s["values"]) == len(data["labels"]) for s in data["series"])
        response = client.get(f"/assessment/statistics/charts/{name}.csv")
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
        assert rows[0][1:] == [s["label"] for s in data["series"]]
        assert [r[0] for r in rows[1:]] == data["labels"]
        book = openpyxl.load_workbook(
            io.BytesIO(client.get(f"/assessment/statistics/charts/{name}.xlsx").data)
        )
        sheet_rows = list(book.active.iter_rows(values_only=True))
        assert [list(r[1:]) for r in sheet_rows[1:]] == [
            list(v) for v in zip(*(s["values"] for s in data["series"]))
        ]
    gender = client.get("/assessment/statistics/charts/structure-gender.json").get_json()
    assert sum(gender["series"][0]["values"]) == 7  # 机关党总支 only: six members and the coordinator


def test_unknown_chart_and_format_are_404(client, login_as, org_tree):
    login_as("admin")
    assert client.get("/assessment/statistics/charts/nothing.json").status_code == 404
    assert client.get("/assessment/statistics/charts/hours.pdf").status_code == 404
