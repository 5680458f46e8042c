"""A dozen published demo works for ``flask seed-demo`` (three featured). Idempotent by title."""

import sqlalchemy as sa

from app.accounts.models import User
from app.core.clock import utcnow
from app.extensions import db
from app.works import services
from app.works.models import Work

TITLES = [
    "我的入党故事", "在平凡岗位上践行初心", "一次难忘的红色教育基地参观", "检修现场的党员先锋岗",
    "读《习近平谈治国理政》有感", "党员志愿服务队的一天", "从师傅身上学到的担当", "夜班路上的温暖",
    "支部书记的工作笔记", "我与“学习强国”的故事", "一名老党员的嘱托", "青年突击队的攻坚记",
]  # fmt: skip


def seed_demo_works() -> int:
    reviewer = db.session.scalar(sa.select(User).where(User.employee_no == "T0001"))
    coordinator = db.session.scalar(sa.select(User).where(User.employee_no == "C0001"))
    if reviewer is None or coordinator is None:
        return 0
    existing = set(db.session.scalars(sa.select(Work.title).where(Work.title.in_(TITLES))))
    authors = db.session.scalars(
        sa.select(User).where(User.employee_no.like("E%")).order_by(User.employee_no).limit(len(TITLES))
    ).all()
    made = 0
    for n, (title, author) in enumerate(zip(TITLES, authors, strict=False)):
        if title in existing:
            continue
        body = f"## {title}\n\n这是党员在工作和学习中的真实感悟。**不忘初心，牢记使命。**"
        work = services.submit_work(author, services.WorkData("article", title, body))
        services.review_work(reviewer, work, True, "", utcnow())
        if n < 3:
            services.set_featured(coordinator, work, True)
        made += 1
    db.session.flush()
    return made
