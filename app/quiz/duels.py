"""Duels (双人对战) and four-player rooms: the same questions for everyone, round by round.

The server owns the clock. Every request touching a room (a poll, an answer, leaving) locks the
room row and calls :func:`advance`, which closes rounds whose time is up or that everyone has
answered, drops players who stopped polling, and decides the winner. The periodic sweep calls it
too, so a room where everybody vanished still ends. Browsers poll about once a second: with
gunicorn's sync workers a held-open SSE connection would tie up a whole worker per player.
"""

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.core.signals import notification_requested
from app.extensions import db
from app.quiz import play
from app.quiz.grading import public_question, revealed
from app.quiz.models import Attempt, AttemptItem, AttemptKind, Duel, DuelPlayer, DuelStatus, Question
from app.quiz.play import LateAnswer, PlayError
from app.quiz.points import award_points

LIVE = (DuelStatus.WAITING, DuelStatus.ACTIVE)
WIN_POINTS, PLAY_POINTS = 3, 1


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=current_app.config[name])


def locked(duel_id: int) -> Duel | None:
    """The room, locked for this transaction (PostgreSQL row lock; SQLite serialises writers)."""
    return db.session.scalars(
        sa.select(Duel)
        .where(Duel.id == duel_id)
        .with_for_update(of=Duel)
        .execution_options(populate_existing=True)
    ).one_or_none()


def live_duel_for(user: User) -> Duel | None:
    return db.session.scalar(
        sa.select(Duel)
        .join(DuelPlayer, DuelPlayer.duel_id == Duel.id)
        .where(DuelPlayer.user_id == user.id, DuelPlayer.left_at.is_(None), Duel.status.in_(LIVE))
        .order_by(Duel.id.desc())
    )


def player_of(duel: Duel, user: User) -> DuelPlayer | None:
    return next((p for p in duel.players if p.user_id == user.id), None)


def create_duel(user: User, capacity: int = 2, is_open: bool = True, invitee: User | None = None) -> Duel:
    """A new room hosted by ``user``; an invitation (``is_open=False``) is joined only by its code."""
    if capacity not in (2, 4):
        raise PlayError(_("房间人数只能是 2 或 4 人。"))
    if invitee is not None and invitee.id == user.id:
        raise PlayError(_("不能邀请自己。"))
    questions = play.draw_questions(current_app.config["QUIZ_DUEL_QUESTIONS"])
    if not questions:
        raise PlayError(_("题库里还没有可用的题目，请稍后再来。"), 409)
    at = play.now()
    duel = Duel(
        capacity=capacity,
        is_open=is_open,
        invite_code=secrets.token_urlsafe(8)[:10],
        host_id=user.id,
        question_ids=[q.id for q in questions],
        option_orders=[play.option_order(q) for q in questions],
        round_seconds=current_app.config["QUIZ_DUEL_ROUND_SECONDS"],
        created_at=at,
    )
    db.session.add(duel)
    db.session.flush()
    db.session.add(DuelPlayer(duel=duel, user_id=user.id, seat=0, joined_at=at, last_seen_at=at))
    db.session.flush()
    if invitee is not None:
        notification_requested.send(
            "quiz",
            user_ids=[invitee.id],
            title=f"{user.name} 邀请你进行双人对战",
            body="点击进入对战房间，房间等待 2 分钟。",
            url=f"/quiz/duel/join/{duel.invite_code}",
            kind="quiz.duel_invite",
        )
    return duel


def join_duel(duel_id: int, user: User) -> bool:
    """Take a free seat in a waiting room (starting it when full). False when it is full or over."""
    duel = locked(duel_id)
    if duel is None or duel.status != DuelStatus.WAITING:
        return False
    if player_of(duel, user) is not None:
        return True
    taken = {p.seat for p in duel.players}
    free = [seat for seat in range(duel.capacity) if seat not in taken]
    if not free:
        return False
    at = play.now()
    try:
        with db.session.begin_nested():
            db.session.add(
                DuelPlayer(duel=duel, user_id=user.id, seat=free[0], joined_at=at, last_seen_at=at)
            )
    except IntegrityError:
        return False
    db.session.refresh(duel)
    if len(duel.players) >= duel.capacity:
        _start(duel, at)
    return True


def join_by_code(code: str, user: User) -> Duel:
    duel = db.session.scalar(sa.select(Duel).where(Duel.invite_code == code))
    if duel is None:
        raise PlayError(_("邀请链接无效。"), 404)
    if player_of(duel, user) is None and not join_duel(duel.id, user):
        raise PlayError(_("房间已满或对战已经结束。"), 409)
    return duel


def find_match(user: User, capacity: int = 2) -> Duel:
    """Join the oldest open room waiting for players, or open one and wait in it."""
    if (mine := live_duel_for(user)) is not None:
        return mine
    since = play.now() - _seconds("QUIZ_DUEL_WAIT_SECONDS")
    for duel_id in _open_rooms(capacity, since, exclude_user=user.id):
        if join_duel(duel_id, user):
            return db.session.get(Duel, duel_id)
    return create_duel(user, capacity, is_open=True)


def _open_rooms(capacity: int, since: datetime, exclude_user: int, before_id: int | None = None) -> list[int]:
    query = (
        sa.select(Duel.id)
        .where(
            Duel.status == DuelStatus.WAITING,
            Duel.is_open.is_(True),
            Duel.capacity == capacity,
            Duel.created_at >= since,
            Duel.host_id != exclude_user,
        )
        .order_by(Duel.id)
        .limit(5)
    )
    if before_id is not None:
        query = query.where(Duel.id < before_id)
    return list(db.session.scalars(query))


def _start(duel: Duel, at: datetime) -> None:
    questions = {
        q.id: q for q in db.session.scalars(sa.select(Question).where(Question.id.in_(duel.question_ids)))
    }
    for player in duel.players:
        player.attempt = play.new_attempt(
            player.user,
            AttemptKind.DUEL,
            [questions[qid] for qid in duel.question_ids],
            started_at=at,
            once_key=f"duel:{duel.id}",
            option_orders=duel.option_orders,
            present="none",
            duel_id=duel.id,
        )
        player.last_seen_at = at
    duel.status = DuelStatus.ACTIVE
    duel.started_at = at
    _open_round(duel, 0, at)


def _round_items(duel: Duel, position: int | None = None) -> list[AttemptItem]:
    query = (
        sa.select(AttemptItem)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.duel_id == duel.id)
    )
    if position is not None:
        query = query.where(AttemptItem.position == position)
    return list(db.session.scalars(query.execution_options(populate_existing=True)))


def _open_round(duel: Duel, position: int, at: datetime) -> None:
    duel.current_round = position
    duel.round_started_at = at
    deadline = at + timedelta(seconds=duel.round_seconds)
    for item in _round_items(duel, position):
        item.presented_at, item.deadline_at = at, deadline
    db.session.flush()


def advance(duel: Duel, at: datetime) -> None:
    """Bring the room up to date with the server clock (idempotent; the room must be locked)."""
    if duel.status == DuelStatus.WAITING:
        if at - duel.created_at > _seconds("QUIZ_DUEL_WAIT_SECONDS"):
            duel.status, duel.finished_at = DuelStatus.CANCELLED, at
            db.session.flush()
        return
    if duel.status != DuelStatus.ACTIVE:
        return
    drop_after = _seconds("QUIZ_DUEL_DROP_SECONDS")
    for player in duel.players:
        if player.left_at is None and at - player.last_seen_at > drop_after:
            player.left_at = player.last_seen_at + drop_after  # dropped connection: silent too long
    while duel.status == DuelStatus.ACTIVE:
        playing = {p.attempt_id for p in duel.players if p.left_at is None}
        if len(playing) <= 1:
            _finish(duel, at)
            return
        items = [i for i in _round_items(duel, duel.current_round) if i.attempt_id in playing]
        deadline = duel.round_started_at + timedelta(seconds=duel.round_seconds)
        if all(i.answered_at is not None for i in items):
            next_start = max(i.answered_at for i in items)
        elif at > deadline + play.grace():
            db.session.execute(
                sa.update(AttemptItem)
                .where(AttemptItem.id.in_([i.id for i in items]), AttemptItem.answered_at.is_(None))
                .values(answered_at=deadline, is_correct=False)
                .execution_options(synchronize_session=False)
            )
            next_start = deadline
        else:
            return
        if duel.current_round + 1 >= len(duel.question_ids):
            duel.current_round = len(duel.question_ids)
            _finish(duel, next_start)
            return
        _open_round(duel, duel.current_round + 1, next_start)


def _tally(duel: Duel) -> dict[int, tuple[int, int]]:
    """Per attempt: (correct answers, milliseconds spent answering) over the closed rounds."""
    tally: dict[int, list[int]] = {p.attempt_id: [0, 0] for p in duel.players if p.attempt_id}
    for item in _round_items(duel):
        if item.position >= duel.current_round or item.attempt_id not in tally:
            continue
        if item.is_correct:
            tally[item.attempt_id][0] += 1
        if item.answered_at and item.presented_at:
            tally[item.attempt_id][1] += play.milliseconds(item.answered_at - item.presented_at)
    return {k: (v[0], v[1]) for k, v in tally.items()}


def _finish(duel: Duel, at: datetime) -> None:
    """Rank the players (leavers last), name the winner (none on a dead heat), award points."""
    tally = _tally(duel)
    for player in duel.players:
        player.score, player.total_ms = tally.get(player.attempt_id, (0, 0))
    ranked = sorted(duel.players, key=lambda p: (p.left_at is not None, -p.score, p.total_ms, p.seat))
    for rank, player in enumerate(ranked, start=1):
        player.rank = rank
    staying = [p for p in ranked if p.left_at is None]
    winner = staying[0] if staying else None
    if len(staying) > 1 and (staying[0].score, staying[0].total_ms) == (
        staying[1].score,
        staying[1].total_ms,
    ):
        winner = None
    duel.status, duel.finished_at = DuelStatus.FINISHED, at
    duel.winner_id = winner.user_id if winner else None
    db.session.flush()
    for player in duel.players:
        if player.attempt is None:
            continue
        play.finish_attempt(player.attempt, at, "left" if player.left_at else "submitted", score=player.score)
        if player.left_at is None:
            points = WIN_POINTS if winner is player else PLAY_POINTS
            award = award_points(
                player.user_id,
                "duel",
                f"duel:{duel.id}",
                points,
                "双人对战获胜" if winner is player else "参加双人对战",
            )
            player.attempt.points = award.points
    db.session.flush()


def poll(duel_id: int, user: User) -> Duel:
    """A player checks in: their presence is noted and the room brought up to date."""
    duel = locked(duel_id)
    if duel is None:
        raise PlayError(_("对战不存在。"), 404)
    player = player_of(duel, user)
    if player is None:
        raise PlayError(_("你不在这场对战中。"), 403)
    at = play.now()
    if player.left_at is None:
        player.last_seen_at = at
    if duel.status == DuelStatus.WAITING and duel.is_open and len(duel.players) == 1:
        # Two members who asked for a match at the same moment each opened a room: the newer
        # room's host moves into the older one, so they meet instead of waiting side by side.
        since = at - _seconds("QUIZ_DUEL_WAIT_SECONDS")
        for other_id in _open_rooms(duel.capacity, since, exclude_user=user.id, before_id=duel.id):
            if join_duel(other_id, user):
                duel.status, duel.finished_at = DuelStatus.CANCELLED, at
                db.session.flush()
                return db.session.get(Duel, other_id)
    advance(duel, at)
    return duel


def answer_duel(duel_id: int, user: User, question_id, raw) -> dict:
    duel = poll(duel_id, user)
    player = player_of(duel, user)
    if player is None:
        raise PlayError(_("你不在这场对战中。"), 403)
    if player.attempt is None:
        raise PlayError(_("对战还没有开始。"), 409)
    if player.left_at is not None:
        raise LateAnswer(_("你已离开本场对战，答案未被记录。"))
    at = play.now()
    try:
        item, is_new = play.answer_item(player.attempt, question_id, raw, at)
    except LateAnswer:
        raise LateAnswer(_("本轮已经结束，答案未被记录。")) from None
    if is_new:
        advance(duel, at)
    result = revealed(item)
    result["replayed"] = not is_new
    return result


def leave_duel(duel_id: int, user: User) -> Duel:
    duel = locked(duel_id)
    player = player_of(duel, user) if duel else None
    if player is None:
        raise PlayError(_("你不在这场对战中。"), 404)
    at = play.now()
    if duel.status == DuelStatus.WAITING:
        if player.seat == 0:
            duel.status, duel.finished_at = DuelStatus.CANCELLED, at
        else:
            db.session.delete(player)
    elif duel.status == DuelStatus.ACTIVE and player.left_at is None:
        player.left_at = at
        advance(duel, at)
    db.session.flush()
    return duel


def state(duel: Duel, user: User) -> dict:
    """What one player's screen shows: never another question's answer, nor a running round's."""
    at = play.now()
    items = _round_items(duel) if duel.started_at else []
    mine = player_of(duel, user)
    by_attempt: dict[int, dict[int, AttemptItem]] = {}
    for item in items:
        by_attempt.setdefault(item.attempt_id, {})[item.position] = item
    tally = _tally(duel) if duel.status != DuelStatus.WAITING else {}
    data = {
        "duel_id": duel.id,
        "status": duel.status.value,
        "capacity": duel.capacity,
        "rounds": len(duel.question_ids),
        "round": min(duel.current_round + 1, len(duel.question_ids)),
        "seconds_left": None,
        "question": None,
        "my_answer": None,
        "invite_code": duel.invite_code if duel.status == DuelStatus.WAITING else None,
        "players": [],
        "winner": None,
        "draw": False,
    }
    for player in duel.players:
        current = by_attempt.get(player.attempt_id, {}).get(duel.current_round)
        score, total_ms = (
            (player.score, player.total_ms)
            if duel.status == DuelStatus.FINISHED
            else tally.get(player.attempt_id, (0, 0))
        )
        data["players"].append(
            {
                "seat": player.seat,
                "name": player.user.name,
                "branch": player.user.branch.name if player.user.branch else "",
                "is_me": player is mine,
                "score": score,
                "seconds": round(total_ms / 1000, 1),
                "answered": bool(current and current.answered_at),
                "left": player.left_at is not None,
                "rank": player.rank,
            }
        )
    if duel.status == DuelStatus.ACTIVE and mine is not None and mine.attempt_id:
        item = by_attempt.get(mine.attempt_id, {}).get(duel.current_round)
        if item is not None and item.presented_at is not None:
            data["question"] = public_question(item)
            data["seconds_left"] = play.remaining_seconds(item.deadline_at, at)
            if item.answered_at is not None:
                data["my_answer"] = revealed(item)
    if duel.status == DuelStatus.FINISHED:
        if duel.winner is not None:
            data["winner"] = {
                "user_id": duel.winner_id,
                "name": duel.winner.name,
                "is_me": duel.winner_id == user.id,
            }
        else:
            data["draw"] = any(p.left_at is None for p in duel.players)
        data["my_points"] = mine.attempt.points if mine and mine.attempt else 0
        data["review"] = (
            [revealed(i) for _, i in sorted(by_attempt.get(mine.attempt_id, {}).items())] if mine else []
        )
    return data
