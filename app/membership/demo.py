"""Demo member lifecycle for ``flask seed-demo``: people at every 发展党员 stage in several branches
(some on time, some overdue, one rule override), two finished transfers and one pending, and
documents on file. Recorded through the services, as a secretary would; idempotent."""

import io
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.accounts.models import MemberCategory, User
from app.core.clock import localtoday
from app.extensions import db
from app.membership.models import DevelopmentStep, Transfer
from app.membership.services import archive, transfers
from app.membership.services import development as dev
from app.org.models import Branch, BranchKind
from app.records.services import append_entry, occurred_at_noon

#: Days after the application at which each step is recorded (keeps every rule).
PLAN = {
    "application": 0, "talk": 18, "activist": 30, "contacts": 34, "inspection_1": 180, "inspection_2": 350,
    "candidate": 401, "political_review": 430, "training": 460, "pre_review": 474,
    # publicity_start is moved to the next Monday, publicity_end to that Friday (5 working days)
    "publicity_start": 480, "publicity_end": 484, "assembly_vote": 494, "approval": 520, "oath": 529,
    "full_application": 866, "full_vote": 880, "full_approval": 892,
}  # fmt: skip
VOTES = {"assembly_vote": (11, 12), "full_vote": (10, 10)}
#: (through which step, how many days ago that step was, note)
PEOPLE = (
    ("application", 10, "按时"),
    ("application", 45, "谈话逾期"),
    ("inspection_1", 30, "按时"),
    ("contacts", 200, "考察逾期"),
    ("political_review", 20, "按时"),
    ("assembly_vote", 100, "审批逾期"),
    ("oath", 30, "按时"),
    ("full_approval", 5, "已转正"),
)
PDF = b"%PDF-1.4\n% demo\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _dates(application: date) -> dict[str, date]:
    days = {key: application + timedelta(days=offset) for key, offset in PLAN.items()}
    start = days["publicity_start"]
    start += timedelta(days=(7 - start.weekday()) % 7)  # a Monday
    days["publicity_start"], days["publicity_end"] = start, start + timedelta(days=4)
    return days


def _walk(actor: User, member: User, through: str, days: dict[str, date]) -> None:
    for key in PLAN:
        if key == "training":
            when = occurred_at_noon(days["training"] - timedelta(days=3))
            ref = f"demo-training:{member.id}"
            append_entry(
                member, hours=Decimal(24), source_kind="manual", source_ref=ref, actor=actor,
                reason="发展对象集中培训", occurred_at=when,
            )  # fmt: skip
        votes_for, present = VOTES.get(key, (None, None))
        contacts = full_members_beside(member) if key == "contacts" else None
        if contacts is not None and len(contacts) < 2:
            return  # a branch too small for two 培养联系人 (a tiny demo): the walk stops before them
        dev.record_step(
            actor,
            member,
            key,
            days[key],
            note="演示",
            votes_for=votes_for,
            votes_present=present,
            contacts=contacts,
        )
        if key == through:
            return


def full_members_beside(member: User) -> list[User]:
    """Two full members of ``member``'s branch: the demo's (and the tests') 培养联系人."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.branch_id == member.branch_id, User.category == MemberCategory.FULL, User.id != member.id
            )
            .order_by(User.id)
            .limit(2)
        )
    )


def _candidates(branches: list[Branch], count: int) -> list[User]:
    picked = []
    for i in range(count):
        branch = branches[i % len(branches)]
        taken = [u.id for u in picked]
        member = db.session.scalar(
            sa.select(User)
            .where(User.branch_id == branch.id, User.employee_no.like("E%"), User.id.not_in(taken or [0]))
            .order_by(User.id.desc())
        )
        if member is not None:
            picked.append(member)
    return picked


def seed_demo_membership(today: date | None = None) -> dict:
    today = today or localtoday()
    if db.session.scalar(sa.select(sa.func.count(DevelopmentStep.id))):
        return {"people": 0, "transfers": 0}
    admin = db.session.scalar(sa.select(User).where(User.employee_no == "admin"))
    branches = list(
        db.session.scalars(sa.select(Branch).where(Branch.kind == BranchKind.BRANCH).order_by(Branch.id))
    )
    if admin is None or len(branches) < 4:
        return {"people": 0, "transfers": 0}
    people = _candidates(branches[::2], len(PEOPLE) + 1)
    for member, (through, ago, _note) in zip(people, PEOPLE, strict=False):
        application = today - timedelta(days=ago + PLAN[through])
        _walk(admin, member, through, _dates(application))
        if through in ("application", "inspection_1"):
            archive.add_document(
                admin, member, io.BytesIO(PDF), "入党申请书.pdf", "application", "application"
            )
    if len(people) > len(PEOPLE):  # the override: 发展对象 eleven months after 积极分子
        member = people[len(PEOPLE)]
        days = _dates(today - timedelta(days=400))
        _walk(admin, member, "inspection_2", days)
        dev.record_step(
            admin, member, "candidate", days["activist"] + timedelta(days=335), note="演示",
            override_reason="上级党委批准：该同志在抢险救灾中表现突出，提前确定为发展对象",
        )  # fmt: skip
        archive.add_document(admin, member, io.BytesIO(PDF), "考察记录.pdf", "inspection", "inspection_2")
    movers = _candidates(branches[1::2], 3)
    for i, member in enumerate(movers):
        target = branches[(branches.index(member.branch) + 2) % len(branches)]
        if i < 2:
            transfer = transfers.request_transfer(admin, member, target, "工作调动")
            transfers.approve_transfer(admin, transfer)
        else:
            transfers.request_transfer(member, member, target, "随工作岗位调整转接")
    db.session.flush()
    return {"people": len(people), "transfers": db.session.scalar(sa.select(sa.func.count(Transfer.id)))}
