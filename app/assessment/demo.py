"""Demo 党建考核 for ``flask seed-demo``: last year's scheme scored, frozen and published (with a
coordinator's manual score and its evidence in a few branches), and this year's running. Defined and
scored the way the committee and the coordinators do it (the services); idempotent."""

import io

import sqlalchemy as sa

from app.accounts.models import Role, User, UserRole
from app.assessment import services
from app.assessment.models import Scheme
from app.core.clock import localtoday
from app.extensions import db
from app.org.models import Branch, BranchKind

#: (section, [(indicator, kind, weight, floor, target)])
SECTIONS = (
    (
        "学习教育",
        [
            ("学时达标率", "hours_target", 25, "0.3", "0.9"),
            ("指派课程完成率", "course_completion", 15, "0", "1"),
            ("竞赛参与率", "contest_participation", 5, "0", "0.6"),
        ],
    ),
    (
        "组织生活",
        [
            ("三会一课落实", "meeting_compliance", 20, "0.5", "1"),
            ("发展党员按时办理", "development_on_time", 5, "0.5", "1"),
            ("民主评议开展", "review_held", 5, "0", "1"),
            ("党务公开回执", "notice_receipts", 10, "0", "0.9"),
        ],
    ),
    ("特色工作", [("支部特色工作", "manual", 15, "0", "1")]),
)
EVIDENCE = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _define(admin: User, name: str, year: int) -> Scheme:
    scheme = services.create_scheme(admin, name, year, None)
    for section_name, lines in SECTIONS:
        section = services.add_section(admin, scheme, section_name)
        for indicator, kind, weight, floor, target in lines:
            services.add_indicator(admin, section, indicator, kind, weight, floor, target)
    services.start_scheme(admin, scheme)
    return scheme


def _score_some(admin: User, scheme: Scheme) -> None:
    manual = next(i for i in scheme.indicators if i.is_manual)
    branches = db.session.scalars(
        sa.select(Branch).where(Branch.kind == BranchKind.BRANCH).order_by(Branch.path).limit(4)
    )
    for n, branch in enumerate(branches):
        services.score_manual(
            admin,
            manual,
            branch,
            12 + n,
            f"{branch.name}开展“党员先锋岗”创建，材料齐全。",
            io.BytesIO(EVIDENCE),
            "特色工作材料.pdf",
        )


def seed_demo_assessment() -> int:
    """Add the demo schemes that are missing; returns how many were added."""
    admin = db.session.scalar(
        sa.select(User).join(UserRole).where(UserRole.role == Role.ADMIN).order_by(User.id).limit(1)
    )
    if admin is None:
        return 0
    year = localtoday().year
    added = 0
    last_name, this_name = f"{year - 1}年度党建考核", f"{year}年度党建考核"
    existing = set(db.session.scalars(sa.select(Scheme.name).where(Scheme.name.in_([last_name, this_name]))))
    if last_name not in existing:
        scheme = _define(admin, last_name, year - 1)
        _score_some(admin, scheme)
        services.freeze_scheme(admin, scheme)
        services.publish_scheme(admin, scheme)
        added += 1
    if this_name not in existing:
        _define(admin, this_name, year)
        added += 1
    db.session.flush()
    return added
