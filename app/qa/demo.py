"""Demo Q&A for ``flask seed-demo``: questions asked by demo members, answered by trainers,
coordinators and other members, most with an accepted answer, one still waiting for an answer.
Made through the Q&A services, as people would; the text is in ``demo_content/threads.json``
(an author is an employee number, or a number: the n-th demo member). Idempotent by title.
"""

import json
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from app.accounts.models import User
from app.core.clock import utcnow
from app.extensions import db
from app.qa import services
from app.qa.models import Question

CONTENT = Path(__file__).parent / "demo_content" / "threads.json"


def seed_demo_qa() -> int:
    """Ask and answer the demo questions that are missing; returns how many threads were added."""
    members = db.session.scalars(
        sa.select(User).where(User.employee_no.like("E%")).order_by(User.employee_no)
    ).all()
    staff = {
        u.employee_no: u for u in db.session.scalars(sa.select(User).where(User.employee_no.like("_000_")))
    }
    if not members:
        return 0

    def person(ref: int | str) -> User | None:
        return members[ref % len(members)] if isinstance(ref, int) else staff.get(ref)

    existing = set(db.session.scalars(sa.select(Question.title)))
    now, made = utcnow(), 0
    threads = json.loads(CONTENT.read_text(encoding="utf-8"))
    for n, thread in enumerate(threads):
        if thread["title"] in existing:
            continue
        asker = person(thread["asker"])
        question = services.ask_question(asker, thread["title"], thread["body"], thread["tags"])
        asked = now - timedelta(days=2 * (len(threads) - n), hours=n)
        question.created_at = question.last_activity_at = asked
        for k, spec in enumerate(thread["answers"]):
            answer = services.answer_question(question, person(spec["author"]), spec["body"])
            answer.created_at = asked + timedelta(hours=3 + 5 * k)
            if spec.get("accepted"):
                services.accept_answer(answer, asker)
            question.last_activity_at = answer.created_at
        made += 1
    db.session.flush()
    return made
