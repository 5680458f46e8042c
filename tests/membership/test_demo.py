"""The demo shows the member lifecycle: every stage, overdue people, an override, transfers, documents."""

import sqlalchemy as sa

from app.extensions import db
from app.membership.models import DevelopmentStep, MemberDocument, Transfer, TransferStatus
from app.membership.services import development as dev
from tests.helpers import config_set


def test_the_demo_has_people_at_every_stage(runner, app, tmp_path):
    with config_set(app, MEMBERSHIP_UPLOAD_DIR=str(tmp_path)):
        result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    groups = dict(dev.board(dev.pipeline_members_query()))
    assert all(groups[stage] for stage in ("applicant", "activist", "candidate", "probationary"))
    pipeline = [t for items in groups.values() for t in items]
    assert any(t.overdue for t in pipeline)
    assert any(not t.overdue for t in pipeline)
    assert len({t.member.branch_id for t in pipeline}) >= 3
    assert db.session.scalar(sa.select(sa.func.count()).where(DevelopmentStep.override_reason != "")) == 1
    statuses = list(db.session.scalars(sa.select(Transfer.status)))
    assert sorted(statuses) == sorted([TransferStatus.APPROVED] * 2 + [TransferStatus.PENDING])
    assert db.session.scalar(sa.select(sa.func.count(MemberDocument.id))) >= 3
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count(Transfer.id))) == 3


def test_a_branch_too_small_for_two_contacts_does_not_break_the_demo(create_user, org_tree, clock):
    """``seed_demo(members_per_branch=2)`` crashed: nobody could be two 培养联系人 in a branch of two."""
    from app.accounts.models import MemberCategory
    from app.membership.demo import seed_demo_membership

    create_user("admin", branch=org_tree["root"], employee_no="admin")
    for key in ("a1", "a2", "b1", "b2"):
        for n in range(2):
            create_user(branch=org_tree[key], employee_no=f"E{key}{n}").category = MemberCategory.FULL
    db.session.commit()
    seeded = seed_demo_membership()
    db.session.commit()
    assert seeded["people"] >= 1
    assert db.session.scalar(sa.select(sa.func.count(DevelopmentStep.id))) > 0
