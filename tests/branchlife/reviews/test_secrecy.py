"""Ballots stay secret: read the tables as someone with the database would, and find no way back from
a grade to the member who gave it."""

import uuid

import pytest
import sqlalchemy as sa

from app.branchlife.reviews import services
from app.core.models import AuditEntry
from app.extensions import db
from tests.branchlife.reviews.conftest import ballot_for, everyone


def table_columns(name: str) -> dict[str, str]:
    inspector = sa.inspect(db.session.connection())
    return {c["name"]: str(c["type"]).upper() for c in inspector.get_columns(name)}


def rows(sql: str, **params) -> list[tuple]:
    return [tuple(r) for r in db.session.execute(sa.text(sql), params)]


def test_the_schema_has_nowhere_to_keep_a_voter_or_a_time():
    ballot = table_columns("branch_review_ballot")
    assert set(ballot) == {"key", "round_id", "candidate_id", "grade"}
    assert not [t for t in ballot.values() if "DATE" in t or "TIME" in t]
    inspector = sa.inspect(db.session.connection())
    assert {
        fk["referred_table"]: fk["constrained_columns"]
        for fk in inspector.get_foreign_keys("branch_review_ballot")
    } == {
        "branch_review_round": ["round_id"],
        "user": ["candidate_id"],
    }
    assert set(table_columns("branch_review_voter")) == {"round_id", "voter_id"}  # "has voted", no time
    if db.session.get_bind().dialect.name == "sqlite":
        for table in ("branch_review_ballot", "branch_review_voter"):  # no hidden row number either
            with pytest.raises(sa.exc.OperationalError), db.session.begin_nested():
                db.session.execute(sa.text(f"SELECT rowid FROM {table}"))  # noqa: S608 -- our own names


def test_after_voting_the_tables_hold_no_link_from_a_ballot_to_its_voter(review, branch_people, clock):
    clock.advance(3600)
    for voter in everyone(branch_people):
        services.cast_ballot(voter, review, ballot_for(voter, branch_people, 张一="excellent"))
        db.session.commit()

    ballots = rows("SELECT key, round_id, candidate_id, grade FROM branch_review_ballot")
    markers = rows("SELECT round_id, voter_id FROM branch_review_voter")
    assert len(ballots) == 4 * 3
    assert sorted(m[1] for m in markers) == sorted(u.id for u in everyone(branch_people))
    # The only value a ballot shares with a marker is the round: the same for every row of both.
    assert {b[1] for b in ballots} == {m[0] for m in markers} == {review.id}
    # Keys are random (UUID4), so neither the keys nor their order say which ballots went together.
    assert all(uuid.UUID(key).version == 4 for key, *_ in ballots)
    assert len({key for key, *_ in ballots}) == len(ballots)
    # The audit log says who voted (as the marker does), never how.
    votes = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "branch_review.vote")).all()
    assert len(votes) == 4
    assert all(entry.details is None and "优秀" not in entry.summary for entry in votes)


def snapshot(review) -> tuple[list, list]:
    ballots = rows(
        "SELECT round_id, candidate_id, grade FROM branch_review_ballot WHERE round_id = :r ORDER BY key",
        r=review.id,
    )
    markers = rows("SELECT round_id, voter_id FROM branch_review_voter WHERE round_id = :r", r=review.id)
    return sorted(ballots), sorted(markers)


def test_swapping_two_voters_ballots_leaves_the_tables_the_same(review, branch_people, clock):
    """张一 and 李二 each grade 王书记 and 赵三, oppositely. Had they swapped ballots, the database would
    hold exactly the same facts (but for random keys): it cannot know who cast which."""
    clock.advance(3600)
    zhang, li = branch_people["members"][:2]
    first = ballot_for(zhang, branch_people, 王书记="excellent", 赵三="basic", 李二="qualified")
    second = ballot_for(li, branch_people, 王书记="basic", 赵三="excellent", 张一="qualified")
    seen = []
    for a, b in ((first, second), (second, first)):
        outer = db.session.begin_nested()
        swap = {str(li.id): str(zhang.id), str(zhang.id): str(li.id)}
        as_zhang = a if a is first else {swap.get(k, k): v for k, v in a.items()}
        as_li = b if b is second else {swap.get(k, k): v for k, v in b.items()}
        services.cast_ballot(zhang, review, as_zhang)
        services.cast_ballot(li, review, as_li)
        db.session.flush()
        seen.append(snapshot(review))
        outer.rollback()
        db.session.expire_all()
    assert seen[0] == seen[1]


def ballot_keys() -> set[str]:
    return {key for (key,) in rows("SELECT key FROM branch_review_ballot")}


def writers(table: str, review) -> set[str]:
    """PostgreSQL: the transactions that wrote the live rows of ``table`` for the round (``xmin``)."""
    return {x for (x,) in rows(f"SELECT DISTINCT xmin::text FROM {table} WHERE round_id = :r", r=review.id)}  # noqa: S608


def test_each_vote_and_the_tally_rewrite_every_ballot_of_the_round(review, branch_people, clock):
    """Were a vote's grades the only rows its transaction wrote, PostgreSQL's ``xmin`` would join them
    to the marker written in the same transaction. Each vote rewrites all the round's ballots, so
    the live rows always share one writer, whoever voted last; the tally then rewrites them again."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    clock.advance(3600)
    marker_writers: set[str] = set()
    for n, voter in enumerate(everyone(branch_people), start=1):
        before = ballot_keys()
        services.cast_ballot(voter, review, ballot_for(voter, branch_people))
        db.session.commit()
        after = ballot_keys()
        assert len(after) == 3 * n
        assert before.isdisjoint(after)  # not one ballot kept its key (or its row)
        if postgres:
            assert len(writers("branch_review_ballot", review)) == 1
            marker_writers |= writers("branch_review_voter", review)
    clock.advance(25 * 3600)
    before = ballot_keys()
    services.tally_round(branch_people["secretary"], review)
    db.session.commit()
    assert len(ballot_keys()) == 12
    assert before.isdisjoint(ballot_keys())
    if postgres:  # every ballot now written by the tally, none by a voter's transaction
        tally_writers = writers("branch_review_ballot", review)
        assert len(tally_writers) == 1
        assert tally_writers.isdisjoint(marker_writers)
