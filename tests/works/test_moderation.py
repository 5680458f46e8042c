"""Works comments in the site's moderation queue: reported by members (once each), listed on Q&A's
moderation page beside its own content through the registry, hidden / restored / dismissed there,
every step audited on the comment."""

import sqlalchemy as sa

from app.core.models import AuditEntry
from app.core.moderation import moderated_kind
from app.extensions import db
from app.portal.models import Notification
from app.works import services
from app.works.models import WorkComment, WorkCommentReport
from tests.works.test_works import article


def _commented(people, clock, body="这条评论有问题"):
    work = article(people["author"])
    services.review_work(people["trainer"], work, True, "", clock.now)
    comment = services.add_comment(people["author"], work, body)
    db.session.commit()
    return work, comment


def test_the_works_comment_kind_is_registered_by_init_app(app):
    kind = moderated_kind("work_comment")
    assert kind is not None
    assert str(kind.label) == "作品评论"


def test_a_reported_comment_is_judged_in_the_moderation_queue(as_user, people, clock):
    work, comment = _commented(people, clock)
    reader = as_user(people["reader"])
    url = f"/works/{work.id}/comments/{comment.id}/report"
    assert reader.post(url, data={"comment": "人身攻击"}).status_code == 302
    assert reader.post(url, data={"comment": "再举报一次"}).status_code == 302  # refused, flashed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkCommentReport)) == 1
    assert as_user(people["author"]).post(url).status_code == 302  # one's own: refused
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkCommentReport)) == 1
    told = db.session.scalars(
        sa.select(Notification.user_id).where(Notification.kind == "work.comment.report")
    )
    assert list(told) == [people["admin"].id]

    admin = as_user(people["admin"])
    assert "qa.moderation" in [k for k in _home_panels(admin)]
    queue = admin.get("/qa/moderation").get_data(as_text=True)
    assert 'data-kind="work_comment"' in queue
    assert "这条评论有问题" in queue
    assert "人身攻击" in queue
    assert reader.get("/qa/moderation").status_code == 403
    assert reader.post(f"/qa/moderate/work_comment/{comment.id}/hide").status_code == 403

    assert (
        admin.post(f"/qa/moderate/work_comment/{comment.id}/hide", data={"reason": "违规"}).status_code == 302
    )
    db.session.refresh(comment)
    assert comment.is_hidden
    report = db.session.scalars(sa.select(WorkCommentReport)).one()
    assert (report.resolution, report.resolved_by_id) == ("hidden", people["admin"].id)
    assert "这条评论有问题" not in reader.get(f"/works/{work.id}").get_data(as_text=True)
    hidden_told = db.session.scalars(
        sa.select(Notification.user_id).where(Notification.kind == "work.comment.hidden")
    )
    assert list(hidden_told) == [people["author"].id]
    # Hidden items stay in the queue, to be restored from there.
    assert 'data-kind="work_comment"' in admin.get("/qa/moderation").get_data(as_text=True)
    assert admin.post(f"/qa/moderate/work_comment/{comment.id}/restore").status_code == 302
    db.session.refresh(comment)
    assert not comment.is_hidden
    assert 'data-kind="work_comment"' not in admin.get("/qa/moderation").get_data(as_text=True)

    actions = db.session.scalars(
        sa.select(AuditEntry.action)
        .where(AuditEntry.target_type == "work_comment", AuditEntry.target_id == comment.id)
        .order_by(AuditEntry.id)
    )
    assert list(actions) == ["work.comment.report", "work.comment.hide", "work.comment.restore"]


def test_reports_are_dismissed_and_unknown_items_are_404(as_user, people, clock):
    work, comment = _commented(people, clock)
    as_user(people["reader"]).post(f"/works/{work.id}/comments/{comment.id}/report", data={"comment": "x"})
    admin = as_user(people["admin"])
    assert admin.post(f"/qa/moderate/work_comment/{comment.id}/dismiss").status_code == 302
    assert db.session.scalars(sa.select(WorkCommentReport.resolution)).one() == "dismissed"
    assert admin.post(f"/qa/moderate/work_comment/{comment.id}/dismiss").status_code == 302  # nothing open
    assert not db.session.get(WorkComment, comment.id).is_hidden
    assert admin.post("/qa/moderate/work_comment/999999/hide").status_code == 404
    assert admin.post(f"/qa/moderate/nonsense/{comment.id}/hide").status_code == 404
    assert admin.get("/qa/moderation").status_code == 200


def _home_panels(client):
    page = client.get("/").get_data(as_text=True)
    return ["qa.moderation"] if "/qa/moderation" in page else []
