"""民主评议 is reachable: the branch page links to this year's round (or, for who runs the branch, to
opening one), the organisation-life pages and the coordinators' menu link to the rounds."""

from datetime import date, timedelta

from app.branchlife import compliance
from app.branchlife.reviews import services as reviews
from app.extensions import db


def test_the_branch_page_links_to_opening_and_then_to_the_current_round(
    client, login, people, org_tree, clock
):
    branch = org_tree["a1"]
    login(people["secretary"])
    page = client.get(f"/branchlife/branches/{branch.id}").get_data(as_text=True)
    assert "开启本年度民主评议" in page
    assert f"/branchlife/branches/{branch.id}/groups" in page  # 管理党小组
    assert f"/branchlife/reviews/new?branch={branch.id}" in page
    form = client.get(f"/branchlife/reviews/new?branch={branch.id}").get_data(as_text=True)
    assert f'<option selected value="{branch.id}">' in form or f'value="{branch.id}" selected' in form
    assert 'data-testid="reviews-link"' in client.get("/branchlife/").get_data(as_text=True)
    assert "/branchlife/reviews/" in client.get("/branchlife/meetings").get_data(as_text=True)

    review = reviews.open_round(people["secretary"], branch, 2026, clock.now, clock.now + timedelta(days=7))
    db.session.commit()
    page = client.get(f"/branchlife/branches/{branch.id}").get_data(as_text=True)
    assert f"/branchlife/reviews/{review.id}" in page
    assert "开启本年度民主评议" not in page
    client.post("/logout")

    login(people["x"])  # a participant sees the round, cannot open one
    page = client.get(f"/branchlife/branches/{branch.id}").get_data(as_text=True)
    assert f"/branchlife/reviews/{review.id}" in page
    assert "开启本年度民主评议" not in page
    client.post("/logout")

    login(people["coordinator"])  # the coordinators' menu has the rounds and the board
    home = client.get("/").get_data(as_text=True)
    assert "/branchlife/reviews/" in home
    assert "/branchlife/compliance" in home


def test_a_finished_review_round_is_the_review_held_on_the_board(people, org_tree, clock):
    branch = org_tree["a1"]
    review = reviews.open_round(people["secretary"], branch, 2026, clock.now, clock.now + timedelta(days=7))
    db.session.commit()
    board = compliance.board(branch, 2026, date(2027, 1, 1))
    assert next(k for k in board[0].kinds if k.kind == "review").overdue == ["2026"]  # opened is not held
    clock.advance(8 * 24 * 3600)
    grades = {p.id: "qualified" for p in review.participants}
    reviews.record_grades(people["secretary"], review, grades, {})
    db.session.commit()
    rule = next(k for k in compliance.board(branch, 2026, date(2027, 1, 1))[0].kinds if k.kind == "review")
    assert (rule.held, rule.overdue) == (1, [])
