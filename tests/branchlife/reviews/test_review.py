"""民主评议党员: opening, self-assessment, the voting window, the ballot's rules, the tally, the grades."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.branchlife.reviews import services
from app.branchlife.reviews.models import ReviewBallot, ReviewGrade, ReviewRound, ReviewVoter
from app.core.models import AuditEntry
from app.core.signals import review_graded
from app.extensions import db
from app.portal.models import Notification
from app.portal.panels import sections_for
from tests.branchlife.reviews.conftest import ballot_for, everyone
from tests.helpers import count


def vote_all(review, people, **overrides_by_voter):
    for voter in everyone(people):
        services.cast_ballot(voter, review, overrides_by_voter.get(voter.name) or ballot_for(voter, people))
    db.session.commit()


def close_window(clock):
    clock.advance(26 * 3600)


# --- opening ---------------------------------------------------------------------------------------


def test_the_secretary_opens_a_round_and_every_member_is_asked(clock, client, login, branch_people):
    login(branch_people["secretary"])
    response = client.post(
        "/branchlife/reviews/new",
        data={
            "branch_id": branch_people["branch"].id,
            "year": 2026,
            "vote_starts_at": "2026-06-02T09:00",
            "vote_ends_at": "2026-06-05T18:00",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    review = db.session.scalar(sa.select(ReviewRound))
    assert review.vote_starts_at.hour == 1  # 09:00 in Beijing is 01:00 UTC
    assert sorted(p.member_id for p in review.participants) == sorted(u.id for u in everyone(branch_people))
    assert count(Notification, Notification.kind == "branchlife.review_opened") == 4
    assert count(AuditEntry, AuditEntry.action == "branch_review.open") == 1


def test_a_second_round_for_the_same_branch_and_year_is_refused(review, branch_people, clock):
    with pytest.raises(services.ReviewError) as refused:
        services.open_round(
            branch_people["coordinator"],
            branch_people["branch"],
            2026,
            clock.now + timedelta(hours=1),
            clock.now + timedelta(hours=2),
        )
    assert refused.value.status == 409


@pytest.mark.parametrize(
    ("starts", "ends", "field"),
    [
        (1, 0, "vote_ends_at"),  # ends before it starts
        (-5, -1, "vote_ends_at"),  # already over
        (0, 24 * 40, "vote_ends_at"),  # longer than 31 days
        (24 * 400, 24 * 401, "vote_starts_at"),  # more than a year ahead
    ],
)
def test_a_window_that_makes_no_sense_is_refused(clock, branch_people, starts, ends, field):
    with pytest.raises(services.ReviewError) as refused:
        services.open_round(
            branch_people["secretary"],
            branch_people["branch"],
            2026,
            clock.now + timedelta(hours=starts),
            clock.now + timedelta(hours=ends),
        )
    assert (refused.value.status, refused.value.field) == (422, field)


def test_who_may_open_a_round(clock, client, login, branch_people, org_tree):
    window = (clock.now + timedelta(hours=1), clock.now + timedelta(hours=2))
    for who in ("outsider", "neighbour"):
        with pytest.raises(services.ReviewError) as refused:
            services.open_round(branch_people[who], branch_people["branch"], 2026, *window)
        assert refused.value.status == 403
    with pytest.raises(services.ReviewError) as refused:  # a 党总支 holds no 民主评议 of its own
        services.open_round(branch_people["coordinator"], org_tree["a"], 2026, *window)
    assert refused.value.field == "branch_id"
    login(branch_people["members"][0])
    assert client.get("/branchlife/reviews/new").status_code == 403
    client.post("/logout")
    login(branch_people["outsider"])  # a branch outside the coordinator's subtree is no choice
    response = client.post(
        "/branchlife/reviews/new",
        data={
            "branch_id": branch_people["branch"].id,
            "year": 2026,
            "vote_starts_at": "2026-06-02T09:00",
            "vote_ends_at": "2026-06-05T18:00",
        },
    )
    assert response.status_code == 422
    assert count(ReviewRound) == 0


def test_a_branch_too_small_for_a_secret_ballot_cannot_open_one(clock, create_user, org_tree, branch_people):
    create_user(branch=org_tree["b2"])
    create_user(branch=org_tree["b2"])
    with pytest.raises(services.ReviewError) as refused:
        services.open_round(
            branch_people["outsider"],
            org_tree["b2"],
            2026,
            clock.now + timedelta(hours=1),
            clock.now + timedelta(hours=2),
        )
    assert "少于 3 人" in str(refused.value)


# --- self-assessment and the window ------------------------------------------------------------------


def test_members_write_their_self_assessment_until_the_vote_closes(
    review, branch_people, clock, client, login
):
    member = branch_people["members"][0]
    login(member)
    response = client.post(f"/branchlife/reviews/{review.id}/self", data={"text": "认真学习，按时交纳党费。"})
    assert response.status_code == 302
    assert review.participant_of(member.id).self_assessment == "认真学习，按时交纳党费。"
    response = client.post(f"/branchlife/reviews/{review.id}/self", data={"text": "长" * 2001})
    assert response.status_code == 303  # refused, the message flashed on the round's page
    close_window(clock)
    login(member)  # a day later: the login session has run out
    response = client.post(
        f"/branchlife/reviews/{review.id}/self", data={"text": "改一改"}, follow_redirects=True
    )
    assert "投票已截止" in response.get_data(as_text=True)
    db.session.expire_all()
    assert review.participant_of(member.id).self_assessment == "认真学习，按时交纳党费。"


def test_the_window_is_the_servers(review, branch_people, clock, client, login):
    voter = branch_people["members"][0]
    login(voter)
    url = f"/branchlife/reviews/{review.id}/ballot"
    data = {f"grade_{k}": v for k, v in ballot_for(voter, branch_people).items()}
    assert client.post(url, data=data).status_code == 409  # not open yet
    clock.advance(3600 - 1)
    assert client.post(url, data=data).status_code == 409  # one second early
    clock.advance(1)
    assert client.post(url, data=data).status_code == 302
    late = branch_people["members"][1]
    clock.advance(24 * 3600)  # the window closes at its end, exactly
    with pytest.raises(services.ReviewError) as refused:
        services.cast_ballot(late, review, ballot_for(late, branch_people))
    assert refused.value.status == 409
    assert count(ReviewVoter) == 1
    assert count(ReviewBallot) == 3


# --- the ballot's rules ------------------------------------------------------------------------------


def test_one_ballot_per_voter(review, branch_people, clock, client, login):
    clock.advance(3600)
    voter = branch_people["members"][0]
    login(voter)
    url = f"/branchlife/reviews/{review.id}/ballot"
    data = {f"grade_{k}": v for k, v in ballot_for(voter, branch_people).items()}
    assert client.post(url, data=data).status_code == 302
    again = client.post(url, data={k: "excellent" for k in data})
    assert again.status_code == 409
    assert "只能投一次" in again.get_data(as_text=True)
    assert count(ReviewBallot) == 3
    assert count(ReviewBallot, ReviewBallot.grade == ReviewGrade.EXCELLENT) == 0


@pytest.mark.parametrize(
    "spoil",
    [
        lambda b, me, other: {k: v for k, v in b.items() if k != str(other)},  # someone left out
        lambda b, me, other: {**b, str(me): "excellent"},  # oneself
        lambda b, me, other: {**b, str(other): "perfect"},  # no such grade
        lambda b, me, other: {**b, "abc": "qualified"},  # no such member
        lambda b, me, other: {**b, "99999999": "qualified"},  # someone outside the round
        lambda b, me, other: {},
    ],
)
def test_a_ballot_must_grade_every_other_member_and_only_them(review, branch_people, clock, spoil):
    clock.advance(3600)
    voter, other = branch_people["members"][0], branch_people["members"][1]
    ballot = spoil(ballot_for(voter, branch_people), voter.id, other.id)
    with pytest.raises(services.ReviewError) as refused:
        services.cast_ballot(voter, review, ballot)
    assert refused.value.status == 422
    db.session.rollback()
    assert count(ReviewVoter) == 0  # a refused ballot does not use up the vote
    services.cast_ballot(voter, review, ballot_for(voter, branch_people))


def test_a_ballot_page_posted_as_json_or_garbage_is_refused(review, branch_people, clock, client, login):
    clock.advance(3600)
    login(branch_people["members"][0])
    url = f"/branchlife/reviews/{review.id}/ballot"
    assert client.post(url, json={"grade_1": "excellent"}).status_code == 422
    assert client.post(url, data={"grade_x": "y" * 5000}).status_code == 422
    assert client.get(url).status_code == 200
    assert count(ReviewVoter) == 0


# --- who sees what ------------------------------------------------------------------------------------


def test_wrong_branch_or_role_is_403(review, branch_people, clock, as_user):
    pages = [f"/branchlife/reviews/{review.id}", f"/branchlife/reviews/{review.id}/ballot"]
    managing = [f"/branchlife/reviews/{review.id}/grades"]
    for who in ("neighbour", "outsider"):
        client = as_user(branch_people[who])
        for url in pages + managing:
            assert client.get(url).status_code == 403, (who, url)
        assert client.post(f"/branchlife/reviews/{review.id}/tally").status_code == 403
        assert 'data-testid="review-round"' not in client.get("/branchlife/reviews/").get_data(as_text=True)
    member = as_user(branch_people["members"][0])
    assert member.get(pages[0]).status_code == 200
    assert 'data-testid="review-round"' in member.get("/branchlife/reviews/").get_data(as_text=True)
    assert member.get(managing[0]).status_code == 403
    assert member.post(f"/branchlife/reviews/{review.id}/tally").status_code == 403
    coordinator = as_user(branch_people["coordinator"])  # not a participant, but it is their subtree
    assert coordinator.get(pages[0]).status_code == 200
    assert coordinator.get(managing[0]).status_code == 200
    with pytest.raises(services.ReviewError) as refused:
        services.cast_ballot(branch_people["coordinator"], review, {})
    assert refused.value.status == 403


def test_the_home_panel_asks_members_with_an_open_ballot(review, branch_people, clock):
    member = branch_people["members"][0]

    def keys(user):
        return [k for section in sections_for(user) for k in section.keys]

    assert "branchlife.review_ballot" not in keys(member)  # not open yet
    clock.advance(3600)
    assert "branchlife.review_ballot" in keys(member)
    assert "branchlife.review_ballot" not in keys(branch_people["neighbour"])
    services.cast_ballot(member, review, ballot_for(member, branch_people))
    db.session.commit()
    assert "branchlife.review_ballot" not in keys(member)


# --- tally and grades ---------------------------------------------------------------------------------


def test_tally_then_grades_reach_the_member_and_the_archive(review, branch_people, clock, as_user):
    clock.advance(3600)
    secretary, (zhang, li, zhao) = branch_people["secretary"], branch_people["members"]
    vote_all(
        review,
        branch_people,
        王书记=ballot_for(secretary, branch_people, 张一="excellent", 赵三="unqualified"),
        李二=ballot_for(li, branch_people, 张一="excellent"),
    )
    with pytest.raises(services.ReviewError):
        services.tally_round(secretary, review)  # not before the window closes
    db.session.rollback()
    close_window(clock)
    boss = as_user(secretary)
    assert boss.post(f"/branchlife/reviews/{review.id}/tally").status_code == 302
    db.session.expire_all()
    assert review.voter_count == 4
    assert review.participant_of(zhang.id).tally == {
        ReviewGrade.EXCELLENT: 2,
        ReviewGrade.QUALIFIED: 1,
        ReviewGrade.BASIC: 0,
        ReviewGrade.UNQUALIFIED: 0,
    }
    assert review.participant_of(zhao.id).votes_unqualified == 1

    ids = {u.name: review.participant_of(u.id).id for u in everyone(branch_people)}
    form = {f"grade_{pid}": "qualified" for pid in ids.values()}
    form[f"grade_{ids['张一']}"] = "excellent"
    form[f"grade_{ids['赵三']}"] = "unqualified"
    response = boss.post(f"/branchlife/reviews/{review.id}/grades", data=form)
    assert response.status_code == 422  # 不合格 needs a reason
    assert "必须写明理由" in response.get_data(as_text=True)
    graded = []

    def receiver(sender, **facts):
        graded.append(facts)

    review_graded.connect(receiver)
    try:
        form[f"reason_{ids['赵三']}"] = "全年无故不参加组织生活"
        assert boss.post(f"/branchlife/reviews/{review.id}/grades", data=form).status_code == 302
        assert boss.post(f"/branchlife/reviews/{review.id}/grades", data=form).status_code == 409
    finally:
        review_graded.disconnect(receiver)
    assert sorted(graded, key=lambda f: f["member_id"]) == sorted(
        [
            {"member_id": zhang.id, "year": 2026, "grade": "excellent"},
            {"member_id": li.id, "year": 2026, "grade": "qualified"},
            {"member_id": zhao.id, "year": 2026, "grade": "unqualified"},
            {"member_id": secretary.id, "year": 2026, "grade": "qualified"},
        ],
        key=lambda f: f["member_id"],
    )
    assert count(AuditEntry, AuditEntry.action == "branch_review.grade") == 4

    own = as_user(zhao).get(f"/branchlife/reviews/{review.id}").get_data(as_text=True)
    assert "不合格" in own
    assert "全年无故不参加组织生活" in own
    assert "张一" not in own  # nobody else's grade or tally
    everything = boss.get(f"/branchlife/reviews/{review.id}").get_data(as_text=True)
    assert "张一" in everything
    assert "优秀 2" in everything


def test_too_few_voters_hide_the_counts(review, branch_people, clock, as_user):
    clock.advance(3600)
    for voter in branch_people["members"][:2]:
        services.cast_ballot(voter, review, ballot_for(voter, branch_people))
    db.session.commit()
    close_window(clock)
    services.tally_round(branch_people["secretary"], review)
    db.session.commit()
    assert not services.counts_are_shown(review)
    page = as_user(branch_people["secretary"]).get(f"/branchlife/reviews/{review.id}").get_data(as_text=True)
    assert "不公布票数" in page
    assert "合格 " not in page


def test_grades_are_not_recorded_during_the_vote(review, branch_people, clock):
    clock.advance(3600)
    with pytest.raises(services.ReviewError) as refused:
        services.record_grades(branch_people["secretary"], review, {}, {})
    assert refused.value.status == 409


def test_the_home_panel_reminds_who_runs_the_round_to_record_grades(review, branch_people, clock):
    def keys(user):
        return [k for section in sections_for(user) for k in section.keys]

    assert "branchlife.review_grades" not in keys(branch_people["secretary"])  # still voting
    close_window(clock)
    assert "branchlife.review_grades" in keys(branch_people["secretary"])
    assert "branchlife.review_grades" in keys(branch_people["coordinator"])
    for who in ("outsider", "neighbour"):
        assert "branchlife.review_grades" not in keys(branch_people[who])
    assert "branchlife.review_grades" not in keys(branch_people["members"][0])
    grades = {str(p.id): "qualified" for p in review.participants}
    services.record_grades(branch_people["secretary"], review, grades, {})
    db.session.commit()
    assert "branchlife.review_grades" not in keys(branch_people["secretary"])
