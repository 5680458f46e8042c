"""The acceptance scheme (three computed indicators, one manual) scores the branches; each computed
indicator is checked against an independent count in SQL, written here and not taken from the code."""

import io
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from app.accounts.models import BranchPosition, Role
from app.assessment import services
from app.assessment.models import Result
from app.core.models import AuditEntry
from app.extensions import db
from app.portal.models import Notification
from tests.assessment.conftest import PDF, credit, meeting
from tests.helpers import count

YEAR_START, YEAR_END = "2026-01-01", "2026-12-31"


def expected_points(weight, floor, target, numerator, denominator) -> Decimal:
    value = (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    ratio = min(max((value - Decimal(floor)) / (Decimal(target) - Decimal(floor)), Decimal(0)), Decimal(1))
    return (Decimal(weight) * ratio).quantize(Decimal("0.01"), ROUND_HALF_UP)


def sql(statement: str, **params) -> dict[int, tuple]:
    return {row[0]: tuple(row[1:]) for row in db.session.execute(sa.text(statement), params)}


def independent_hours() -> dict[int, tuple[int, int]]:
    """Members per 党支部 whose 2026 total reached 32 学时 (no cadres here), and all active members."""
    return sql(
        """SELECT u.branch_id,
                  SUM(CASE WHEN COALESCE((SELECT SUM(e.hours) FROM hours_entry e
                                          WHERE e.user_id = u.id AND e.year = 2026), 0) >= 32
                      THEN 1 ELSE 0 END),
                  COUNT(*)
           FROM "user" u JOIN branch b ON b.id = u.branch_id
           WHERE u.is_active_account AND b.kind = 'branch' GROUP BY u.branch_id"""
    )


def independent_receipts() -> dict[int, tuple[int, int]]:
    """Per 党支部: (member, notice) pairs of the notices asking for a receipt addressed to the member's
    branch, and how many of those pairs have a receipt — one row per pair, counted."""
    return sql(
        """SELECT u.branch_id, COUNT(r.user_id), COUNT(*)
           FROM "user" u
           JOIN branch b ON b.id = u.branch_id
           JOIN notice n ON n.requires_receipt AND n.published_at IS NOT NULL
           LEFT JOIN branch nb ON nb.id = n.branch_id
           LEFT JOIN notice_read r ON r.notice_id = n.id AND r.user_id = u.id
           WHERE u.is_active_account AND b.kind = 'branch'
             AND (n.branch_id IS NULL OR b.path LIKE nb.path || '%')
           GROUP BY u.branch_id"""
    )


def independent_meetings() -> dict[int, tuple[int]]:
    """Finalised 党员大会 per branch in 2026 (the one rule: one a quarter, four due by December)."""
    return sql(
        """SELECT branch_id, COUNT(*) FROM meeting
           WHERE status = 'finalised' AND kind = 'general_assembly' AND held_on BETWEEN :a AND :b
           GROUP BY branch_id""",
        a=YEAR_START,
        b=YEAR_END,
    )


def lines_of(node) -> dict[str, object]:
    return {line.indicator.kind: line for line in node.lines}


def test_each_computed_indicator_matches_an_independent_count(world):
    scheme, t = world["scheme"], world["tree"]
    ind = world["indicators"]
    nodes = {n.branch_id: n for n in services.scores_for(scheme, "")}
    hours, receipts, held = independent_hours(), independent_receipts(), independent_meetings()
    branches = [t[k] for k in ("a1", "a2", "b1", "b2")]
    for branch in branches:
        lines = lines_of(nodes[branch.id])
        met, members = hours[branch.id]
        assert (lines["hours_target"].inputs["numerator"], lines["hours_target"].inputs["denominator"]) == (
            met,
            members,
        )
        assert lines["hours_target"].points == expected_points(30, "0.2", "0.8", met, members)
        if branch.id in receipts:
            given, asked = receipts[branch.id]
            assert lines["notice_receipts"].points == expected_points(20, 0, 1, given, asked)
        else:  # no member: nothing asked, nothing left undone
            assert lines["notice_receipts"].value is None
        done = min(held.get(branch.id, (0,))[0], 4)
        assert lines["meeting_compliance"].points == expected_points(30, 0, 1, done, 4)
    # and the figures themselves, as a person would count them on paper
    a1 = lines_of(nodes[t["a1"].id])
    assert (a1["hours_target"].value, a1["notice_receipts"].value) == (Decimal("0.3333"), Decimal("0.5"))
    assert a1["meeting_compliance"].value == Decimal("0.5")
    assert lines_of(nodes[t["a2"].id])["meeting_compliance"].value == Decimal(1)  # five count as four
    assert lines_of(nodes[t["b1"].id])["meeting_compliance"].points == 0
    assert ind["manual"].id in {line.indicator.id for line in nodes[t["a1"].id].lines}


def test_a_branch_total_is_its_lines_and_the_levels_are_member_weighted_means(world, client, login):
    scheme, t, p = world["scheme"], world["tree"], world["people"]
    login(p["coordinator"])
    response = client.post(
        f"/assessment/{scheme.id}/branches/{t['a1'].id}/indicators/{world['indicators']['manual'].id}/score",
        data={
            f"s{world['indicators']['manual'].id}-points": "15",
            f"s{world['indicators']['manual'].id}-comment": "创建党员先锋岗，成效明显",
            f"s{world['indicators']['manual'].id}-evidence": (io.BytesIO(PDF), "先锋岗材料.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    nodes = {n.branch_id: n for n in services.scores_for(scheme, "")}
    a1, a2 = nodes[t["a1"].id], nodes[t["a2"].id]
    assert lines_of(a1)["manual"].final == 15
    assert a1.total == sum(line.final for line in a1.lines)
    # 机关党总支: (a1 × 3 members + a2 × 2 members) / 5
    expected = ((a1.total * 3 + a2.total * 2) / 5).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert nodes[t["a"].id].total == expected
    assert nodes[t["a"].id].members == 5
    page = client.get(f"/assessment/{scheme.id}/branches/{t['a1'].id}").get_data(as_text=True)
    assert "创建党员先锋岗" in page
    assert "先锋岗材料.pdf" in page
    assert "失" in page


def test_freezing_keeps_the_published_scores_when_the_data_change(world, client, login):
    scheme, t, p = world["scheme"], world["tree"], world["people"]
    admin = p["admin"]
    services.freeze_scheme(admin, scheme)
    db.session.commit()
    before = {
        (n.branch_id, line.indicator.id): line.final
        for n in services.scores_for(scheme, "")
        for line in n.lines
    }
    totals = {n.branch_id: n.total for n in services.scores_for(scheme, "")}
    # the data move on: more hours, another receipt, another meeting, a new member
    credit(p["m2"], 40, "late")
    credit(p["m3"], 40, "late")
    meeting(admin, t["a1"], [p["m1"]], date(2026, 12, 1))
    db.session.commit()
    services.publish_scheme(admin, scheme)
    db.session.commit()
    after = {
        (n.branch_id, line.indicator.id): line.final
        for n in services.scores_for(scheme, "")
        for line in n.lines
    }
    assert after == before
    assert {n.branch_id: n.total for n in services.scores_for(scheme, "")} == totals
    # a member reads the same published figure
    login(p["m2"])
    data = client.get(f"/api/v1/assessments/{scheme.id}/scores?branch_id={t['a1'].id}").get_json()["data"]
    assert Decimal(str(data["branches"][0]["total"])) == totals[t["a1"].id]
    described = {i["id"]: i for i in data["indicators"]}
    assert {i["kind"] for i in described.values()} >= {"hours_target", "manual"}
    assert all(i["formula"] for i in described.values() if i["kind"] != "manual")
    lines = data["branches"][0]["indicators"]
    assert {line["indicator_id"] for line in lines} == set(described)  # every line names a described one
    hours_line = next(i for i in lines if described[i["indicator_id"]]["kind"] == "hours_target")
    assert hours_line["inputs"] == {"numerator": 1, "denominator": 3}


def test_publishing_tells_the_coordinators_and_branch_secretaries(world, client, login, create_user):
    scheme, t, p = world["scheme"], world["tree"], world["people"]
    secretary = create_user(branch=t["a1"], name="支部书记")
    secretary.position = BranchPosition.SECRETARY
    gone = create_user(Role.COORDINATOR, branch=t["b"], name="已停用组织员")
    gone.is_active_account = False
    db.session.commit()
    services.freeze_scheme(p["admin"], scheme)
    db.session.commit()
    published = Notification.kind == "assessment.published"
    assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(published)) == 0  # not yet
    login(p["admin"])
    assert client.post(f"/assessment/{scheme.id}/publish").status_code == 302
    told = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "assessment.published")
    ).all()
    assert {n.user_id for n in told} == {p["coordinator"].id, p["other_coordinator"].id, secretary.id}
    login(secretary)  # the link leads to the published results, which the secretary may read
    assert client.get(told[0].url).status_code == 200
    assert "2026年度党建考核" in told[0].title


def test_the_committee_adjusts_with_a_reason_and_it_is_audited(world, client, login):
    scheme, t, p = world["scheme"], world["tree"], world["people"]
    hours = world["indicators"]["hours"]
    services.freeze_scheme(p["admin"], scheme)
    db.session.commit()
    login(p["admin"])
    url = f"/assessment/{scheme.id}/branches/{t['a1'].id}/indicators/{hours.id}/adjust"
    refused = client.post(url, data={f"a{hours.id}-delta": "3", f"a{hours.id}-reason": " "})
    assert refused.status_code == 422
    assert "请填写调整理由" in refused.get_data(as_text=True)
    total = next(n.total for n in services.scores_for(scheme, "") if n.branch_id == t["a1"].id)
    response = client.post(url, data={f"a{hours.id}-delta": "3", f"a{hours.id}-reason": "学习专栏获评优秀"})
    assert response.status_code == 302
    node = next(n for n in services.scores_for(scheme, "") if n.branch_id == t["a1"].id)
    assert node.total == total + 3
    assert lines_of(node)["hours_target"].adjustment == 3
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "assessment.adjust")).one()
    assert entry.actor_id == p["admin"].id
    assert entry.details["reason"] == "学习专栏获评优秀"


def test_freezing_twice_or_publishing_before_freezing_is_refused(world, client, login):
    scheme, p = world["scheme"], world["people"]
    login(p["admin"])
    assert client.post(f"/assessment/{scheme.id}/publish").status_code == 302  # back to the page, refused
    db.session.refresh(scheme)
    assert scheme.status == "running"
    assert client.post(f"/assessment/{scheme.id}/freeze").status_code == 302
    frozen = count(Result)
    assert frozen == 4 * 4  # four 党支部 × four indicators
    response = client.post(f"/assessment/{scheme.id}/freeze", headers={"Accept": "application/json"})
    assert response.status_code == 409
    assert count(Result) == frozen


def test_scoring_a_subtree_takes_a_fixed_number_of_queries(world, count_queries, create_branch, create_user):
    scheme = world["scheme"]
    services.scores_for(scheme, "")  # warm the scheme's relationships
    with count_queries() as few:
        services.scores_for(scheme, "")
    for n in range(10):
        branch = create_branch(f"新建第{n}党支部", world["tree"]["b"])
        create_user(branch=branch)
    services.scores_for(scheme, "")  # the commits expired the scheme: warm it again
    with count_queries() as many:
        services.scores_for(scheme, "")
    assert len(many) == len(few)
