"""Demo question bank and contests for ``flask seed-demo``.

The bank is read from ``demo_content/*.gift`` (one file per column, every kind the bank supports,
each with its 解析) through the real importer, owned by the trainer who runs that column; the
importer skips questions already in the bank, so a second run adds nothing. Then demo members play
a running contest and a finished one through the contest service, so both have rankings.
"""

import random
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from app.accounts.models import User
from app.core.clock import utcnow
from app.extensions import db
from app.quiz import contests, importers
from app.quiz.grading import display_answer
from app.quiz.models import Contest, QuestionKind

CONTENT = Path(__file__).parent / "demo_content"
#: (question file, the trainer who owns its questions)
BANKS = [
    ("dangzhang.gift", "T0002"),
    ("dangshi.gift", "T0003"),
    ("lilun.gift", "T0001"),
    ("zhibu.gift", "T0004"),
    ("yewu.gift", "T0005"),
]
#: (title, description, draw category, days since it opened, days it stays open, players)
CONTESTS = [
    (
        "学党章 守党规 知识竞赛",
        "全体党员参加。每人一次机会，随机抽取 10 道党章党规题目，限时 10 分钟，按答对题数和用时排名。",
        "党章党规",
        3,
        14,
        36,
    ),
    (
        "百年党史知识竞赛",
        "已结束。随机抽取 10 道党史题目，限时 10 分钟。感谢各支部踊跃参与！",
        "党史",
        30,
        10,
        48,
    ),
]


def seed_demo_bank() -> int:
    """Import the demo question files; returns how many questions were added."""
    trainers = {
        u.employee_no: u for u in db.session.scalars(sa.select(User).where(User.employee_no.like("T%")))
    }
    added = 0
    for filename, owner_no in BANKS:
        path = CONTENT / filename
        report = importers.import_questions(path, filename, trainers.get(owner_no))
        if report.errors:
            raise RuntimeError(f"demo question file {filename} is broken: {report.errors[:3]}")
        added += report.imported
    return added


def _wrong(question, option_order) -> object:
    """A plausible wrong answer, in the keys the member saw."""
    if question.kind == QuestionKind.TRUE_FALSE:
        return not question.answer
    if question.kind == QuestionKind.FILL:
        return "不记得了"
    right = display_answer(question, question.answer, option_order)
    keys = "ABCDEFGH"[: len(question.options)]
    if question.kind == QuestionKind.MULTIPLE:
        return [right[0]]  # one of the right ones only: half known is still wrong
    return next(k for k in keys if k != right)


def _play(contest: Contest, member: User, rng: random.Random, started) -> None:
    """``member`` plays ``contest`` now, through the service, knowing about ``skill`` of the answers;
    then the attempt is dated as if it had been played at ``started`` for a believable time."""
    attempt = contests.start_contest(contest, member)
    skill = rng.choice([0.5, 0.6, 0.7, 0.7, 0.8, 0.8, 0.9, 1.0])
    for item in list(attempt.items):
        right = display_answer(item.question, item.question.answer, item.option_order)
        if item.question.kind == QuestionKind.FILL:
            right = item.question.answer[0]  # the first of the accepted texts
        given = right if rng.random() < skill else _wrong(item.question, item.option_order)
        contests.answer_question(attempt, item.question_id, given)
    seconds = rng.randint(95, 560)
    shift = started - attempt.started_at
    attempt.started_at = started
    attempt.deadline_at = started + timedelta(seconds=contest.time_limit_seconds)
    attempt.finished_at = started + timedelta(seconds=seconds)
    attempt.duration_ms = seconds * 1000 + rng.randint(0, 999)
    for n, item in enumerate(attempt.items, start=1):
        item.presented_at = started
        item.answered_at = item.answered_at + shift + timedelta(seconds=seconds * n / len(attempt.items))


def seed_demo_contests() -> int:
    """The demo contests that are missing, each played by demo members; returns how many were made."""
    admin = db.session.scalar(sa.select(User).where(User.employee_no == "admin"))
    if admin is None:
        return 0
    members = db.session.scalars(
        sa.select(User).where(User.employee_no.like("E%")).order_by(User.employee_no)
    ).all()
    now, made = utcnow(), 0
    for title, description, category, days_ago, days_open, players in CONTESTS:
        if db.session.scalar(sa.select(Contest.id).where(Contest.title == title)):
            continue
        opens = now - timedelta(days=days_ago)
        data = {
            "title": title,
            "description": description,
            "opens_at": now - timedelta(minutes=1),
            "closes_at": now + timedelta(days=1),  # open while the members play, below
            "question_count": 10,
            "time_limit_seconds": 600,
            "draw_category": category,
        }
        contest = contests.create_contest(data, admin)
        rng = random.Random(title)
        for member in rng.sample(members, min(players, len(members))):
            started = opens + timedelta(minutes=rng.randint(30, 60 * 24 * min(days_ago, days_open) - 30))
            _play(contest, member, rng, started)
        contest.opens_at, contest.closes_at = opens, opens + timedelta(days=days_open)
        db.session.flush()
        made += 1
    return made
