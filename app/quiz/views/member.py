"""The member's side: the 答题 hub, daily quiz, challenge, contests, duels, points, leaderboard."""

import sqlalchemy as sa
from flask import abort, current_app, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.core.errors import back_to
from app.core.permissions import login_required
from app.extensions import db
from app.quiz import contests, duels, play, points
from app.quiz.models import Attempt, Contest, Duel
from app.quiz.views import bp, get_contest_for
from app.quiz.views.panels import daily_status


@bp.route("/")
@login_required
def index():
    at = play.now()
    open_contests = [
        c
        for c in db.session.scalars(
            sa.select(Contest).where(Contest.closes_at > at).order_by(Contest.opens_at).limit(20)
        )
        if contests.can_enter_contest(current_user, c)
    ]
    return render_template(
        "quiz/index.html",
        daily=daily_status(current_user),
        total=points.points_total(current_user.id),
        today=points.points_today(current_user.id),
        contests=open_contests,
        duel=duels.live_duel_for(current_user),
        now=at,
        labels=points.ACTION_LABELS,
    )


@bp.route("/daily")
@login_required
def daily():
    return render_template(
        "quiz/play.html", mode="daily", title=_("每日答题"), start_url=url_for("api.start_daily_quiz")
    )


@bp.route("/challenge")
@login_required
def challenge():
    return render_template(
        "quiz/play.html", mode="challenge", title=_("挑战答题"), start_url=url_for("api.start_challenge")
    )


@bp.route("/contests")
@login_required
def contest_list():
    query = sa.select(Contest).order_by(Contest.opens_at.desc())
    page = db.paginate(query, per_page=current_app.config["ITEMS_PER_PAGE"], error_out=False)
    can_create = current_user.has_any_role(Role.TRAINER, Role.COORDINATOR)
    return render_template(
        "quiz/contests.html",
        page=page,
        now=play.now(),
        can_create=can_create,
        can_enter=contests.can_enter_contest,
    )


@bp.route("/contests/<int:contest_id>")
@login_required
def contest_detail(contest_id: int):
    contest = get_contest_for(contest_id)
    at = play.now()
    mine = play.find_once(current_user.id, f"contest:{contest.id}")
    if mine is not None:
        contests.sync_attempt(mine, at)
        db.session.commit()
    manager = contests.can_manage_contest(current_user, contest)
    show_results = contest.is_closed(at) or manager
    ranking = branches = None
    if show_results:
        page = db.paginate(contests.contest_ranking_query(contest), per_page=50, error_out=False)
        ranking = page
        branches = contests.contest_branch_stats(contest)
    return render_template(
        "quiz/contest_detail.html",
        contest=contest,
        mine=mine,
        unranked_reason=_unranked_reason(contest, mine, at),
        now=at,
        manager=manager,
        ranking=ranking,
        branches=branches,
        published=contest.is_closed(at),
    )


def _unranked_reason(contest: Contest, mine: Attempt | None, at) -> str | None:
    """Why the member's result will not be ranked (they know answers of the draw), if it will not."""
    if mine is not None:
        unranked = not mine.is_ranked
    else:
        unranked = not contest.is_closed(at) and contests.is_author_of_draw(current_user, contest)
    return contests.UNRANKED_REASON if unranked else None


@bp.route("/contests/<int:contest_id>/play")
@login_required
def contest_play(contest_id: int):
    contest = get_contest_for(contest_id)
    mine = play.find_once(current_user.id, f"contest:{contest.id}")
    return render_template(
        "quiz/play.html",
        unranked_reason=_unranked_reason(contest, mine, play.now()),
        mode="contest",
        title=contest.title,
        contest=contest,
        start_url=url_for("api.start_contest", contest_id=contest.id),
    )


@bp.route("/duel")
@login_required
def duel_lobby():
    live = duels.live_duel_for(current_user)
    return render_template("quiz/duel.html", duel=live)


@bp.route("/duel/<int:duel_id>")
@login_required
def duel_room(duel_id: int):
    duel = db.session.get(Duel, duel_id) or abort(404)
    if duels.player_of(duel, current_user) is None:
        abort(403)
    return render_template("quiz/duel.html", duel=duel)


@bp.route("/duel/join/<code>")
@login_required
def duel_join(code: str):
    with back_to(url_for("quiz.duel_lobby"), "warning"):
        duel = duels.join_by_code(code, current_user)
    db.session.commit()
    return redirect(url_for("quiz.duel_room", duel_id=duel.id))


@bp.route("/points")
@login_required
def my_points():
    page = db.paginate(
        points.history_query(current_user.id), per_page=current_app.config["ITEMS_PER_PAGE"], error_out=False
    )
    return render_template(
        "quiz/points.html",
        page=page,
        total=points.points_total(current_user.id),
        today=points.points_today(current_user.id),
        labels=points.ACTION_LABELS,
    )


@bp.route("/leaderboard")
@login_required
def leaderboard():
    personal = points.personal_leaderboard() if current_app.config["POINTS_PERSONAL_RANKING"] else None
    return render_template("quiz/leaderboard.html", branches=points.branch_leaderboard(), personal=personal)
