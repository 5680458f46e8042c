"""导入时的既有身份: the category a person already had when their account arrived (a bulk import),
recorded as a baseline entry on their development file. Together with the steps of
:mod:`.development` this is the only way a member's category changes."""

import logging

import sqlalchemy as sa

from app.accounts import lifecycle
from app.accounts.models import CATEGORY_LABELS, MemberCategory, User
from app.core import audit
from app.extensions import db
from app.membership.models import BaselineSource, CategoryBaseline, DevelopmentStep

logger = logging.getLogger(__name__)


def record_baseline_category(
    actor: User | None, member: User, category: MemberCategory, source: str = BaselineSource.IMPORT
) -> CategoryBaseline | None:
    """Record that ``member`` already is ``category`` (audited, shown on the development file) and set
    it. Nothing is recorded when the category is already theirs, or when the member has a development
    file: from the first recorded step on, the workflow alone decides the category."""
    category, source = MemberCategory(category), BaselineSource(source)
    if member.category == category:
        return None
    if db.session.scalar(
        sa.select(DevelopmentStep.id).where(DevelopmentStep.member_id == member.id).limit(1)
    ):
        logger.info("%s: baseline %s for %s ignored, the workflow owns it", actor, category, member)
        return None
    entry = CategoryBaseline(
        member_id=member.id, category=category, source=source, recorded_by_id=actor.id if actor else None
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(
        actor,
        "development.baseline",
        member,
        f"{member} 导入时的既有身份：{CATEGORY_LABELS[category]}",
        {"category": category.value, "source": source.value},
    )
    lifecycle.set_category(member, category, actor)
    return entry


def baselines_of(member_id: int) -> list[CategoryBaseline]:
    return list(
        db.session.scalars(
            sa.select(CategoryBaseline)
            .where(CategoryBaseline.member_id == member_id)
            .order_by(CategoryBaseline.recorded_at, CategoryBaseline.id)
        )
    )


def on_categories_reported(sender, categories=None, actor=None, source: str = "import", **_kw):
    """Receiver of ``categories_reported`` (a bulk import of accounts)."""
    ids = list(categories or {})
    for start in range(0, len(ids), 500):
        members = db.session.scalars(sa.select(User).where(User.id.in_(ids[start : start + 500])))
        for member in members:
            record_baseline_category(actor, member, categories[member.id], source)
