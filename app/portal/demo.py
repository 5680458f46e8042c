"""Demo notices (党务公开) for ``flask seed-demo``: company-wide and branch notices, decisions, news
and activities, published by the administrator or the coordinator above the branch, and read by part
of their audience (notices that ask for a receipt are confirmed, the others just opened), so the
receipt pages show who has read and who has not. The text is in ``demo_content/notices.json``.
Idempotent: a notice whose title exists is left alone.
"""

import json
import random
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from app.accounts.models import User
from app.core.clock import utcnow
from app.extensions import db
from app.org.models import Branch
from app.portal import services
from app.portal.models import Notice, NoticeRead

CONTENT = Path(__file__).parent / "demo_content" / "notices.json"
COORDINATORS = ("C0001", "C0002", "C0003")


def _publisher(branch: Branch | None, admin: User) -> User:
    """The coordinator whose branch holds ``branch``, else the administrator."""
    if branch is None:
        return admin
    for employee_no in COORDINATORS:
        coordinator = db.session.scalar(sa.select(User).where(User.employee_no == employee_no))
        if coordinator is not None and coordinator.branch is not None and coordinator.branch.contains(branch):
            return coordinator
    return admin


def seed_demo_notices() -> int:
    """Publish the demo notices that are missing; returns how many were added."""
    admin = db.session.scalar(sa.select(User).where(User.employee_no == "admin"))
    if admin is None:
        return 0
    existing = set(db.session.scalars(sa.select(Notice.title)))
    now, made = utcnow(), 0
    for spec in json.loads(CONTENT.read_text(encoding="utf-8")):
        if spec["title"] in existing:
            continue
        branch = (
            db.session.scalar(sa.select(Branch).where(Branch.name == spec["branch"]))
            if spec["branch"]
            else None
        )
        starts = spec.get("starts_in_days")
        data = services.NoticeData(
            kind=spec["kind"],
            title=spec["title"],
            body=spec["body"],
            branch_id=branch.id if branch else None,
            requires_receipt=spec["receipt"],
            starts_at=(now + timedelta(days=starts)).replace(minute=0, second=0, microsecond=0)
            if starts is not None
            else None,
            location=spec.get("location", ""),
        )
        notice = services.create_notice(data, _publisher(branch, admin), publish=True)
        notice.published_at = now - timedelta(days=spec["days_ago"], hours=made)
        _read_by_part_of_audience(notice, spec["readers"])
        made += 1
    db.session.flush()
    return made


def _read_by_part_of_audience(notice: Notice, share: float) -> None:
    """A ``share`` of the audience reads the notice within days of its publication."""
    audience = sorted(db.session.scalars(services.audience_query(notice).with_only_columns(User.id)))
    rng = random.Random(notice.title)
    readers = rng.sample(audience, int(len(audience) * share))
    published = notice.published_at
    db.session.add_all(
        NoticeRead(
            notice_id=notice.id, user_id=user_id, read_at=published + timedelta(hours=rng.randint(1, 72))
        )
        for user_id in readers
    )
