"""Three demo hardship cases for ``flask seed-demo`` (filed in 机关第一党支部: only its secretary,
the admin and the members concerned see them). Idempotent by title."""

from datetime import timedelta

import sqlalchemy as sa

from app.accounts.models import BranchPosition, User
from app.care import services
from app.care.models import HardshipCase
from app.core.clock import localtoday
from app.extensions import db
from app.org.models import Branch

CASES = [
    ("illness", "父亲重病住院，医疗费用负担重", "父亲突发心梗住院治疗，自付费用较高。", "30000", "approve"),
    ("family", "子女上学家庭经济困难", "爱人失业，两个孩子上学，家庭收入下降。", "8000", None),
    ("disaster", "暴雨导致住房受损", "七月暴雨导致住房屋顶漏水，需要维修。", "12000", "approve"),
]


def seed_demo_care() -> int:
    branch = db.session.scalar(sa.select(Branch).where(Branch.name == "机关第一党支部"))
    admin = db.session.scalar(sa.select(User).where(User.employee_no == "admin"))
    if branch is None or admin is None:
        return 0
    members = db.session.scalars(
        sa.select(User)
        .where(User.branch_id == branch.id, User.position.is_distinct_from(BranchPosition.SECRETARY))
        .order_by(User.employee_no.desc())
        .limit(3)
    ).all()
    made = 0
    for member, (kind, title, description, amount, decision) in zip(members, CASES, strict=False):
        if db.session.scalar(sa.select(HardshipCase.id).where(HardshipCase.title == title)):
            continue
        case = services.file_case(member, member, services.CaseData(kind, title, description, amount))
        if decision:
            services.decide_case(
                admin, case, decision, "情况属实，同意帮扶。", localtoday() + timedelta(days=30)
            )
            services.add_assistance(admin, case, "visit", localtoday(), None, "支部书记上门走访慰问")
            services.add_assistance(admin, case, "cash", localtoday(), "2000", "发放困难补助")
        made += 1
    db.session.flush()
    return made
