"""Members' works: submission of each kind, review (publish or return and resubmit), visibility
before publishing, likes once (also at once), comments with moderation, featuring, API, XSS."""

import io
import threading

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.portal.models import Notification
from app.portal.panels import sections_for
from app.works import services
from app.works.models import Work, WorkLike
from media_pipeline.services import can_view_asset
from tests.portal.test_xss import PAYLOADS, executable_parts

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def article(author, title="我的入党故事"):
    work = services.submit_work(
        author, services.WorkData("article", title, "那一年，我**光荣**地加入了党组织。")
    )
    db.session.commit()
    return work


def test_a_work_is_reviewed_before_anyone_else_sees_it(as_user, people, clock):
    work = article(people["author"])
    reader = as_user(people["reader"])
    assert reader.get(f"/works/{work.id}").status_code == 404
    assert work.title not in reader.get("/works/").get_data(as_text=True)
    trainer = as_user(people["trainer"])
    assert work.title in trainer.get("/works/?tab=review").get_data(as_text=True)
    assert reader.post(f"/works/{work.id}/publish").status_code == 404
    assert trainer.post(f"/works/{work.id}/return", data={"comment": ""}).status_code == 302
    db.session.refresh(work)
    assert work.status == "review"  # returning needs a comment
    assert trainer.post(f"/works/{work.id}/return", data={"comment": "请补充时间和地点"}).status_code == 302
    db.session.refresh(work)
    assert work.status == "returned"
    author = as_user(people["author"])
    assert (
        author.post(
            f"/works/{work.id}/resubmit", data={"title": "我的入党故事（修改）", "body": "2001年七月……"}
        ).status_code
        == 302
    )
    db.session.refresh(work)
    assert work.status == "review"
    assert trainer.post(f"/works/{work.id}/publish").status_code == 302
    db.session.refresh(work)
    assert work.status == "published"
    assert reader.get(f"/works/{work.id}").status_code == 200
    kinds = set(
        db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == people["author"].id))
    )
    assert {"work.returned", "work.published"} <= kinds


def test_photos_and_video_works(as_user, people, make_asset):
    author = as_user(people["author"])
    response = author.post(
        "/works/new",
        data={
            "kind": "photos",
            "title": "支部活动剪影",
            "photos": [(io.BytesIO(PNG), "a.png"), (io.BytesIO(PNG), "b.png")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    work = db.session.scalars(sa.select(Work)).one()
    assert len(work.photos) == 2
    photo = author.get(f"/works/{work.id}/photos/{work.photos[0].id}")
    assert photo.status_code == 200
    assert photo.data == PNG
    assert as_user(people["reader"]).get(f"/works/{work.id}/photos/{work.photos[0].id}").status_code == 404
    bad = author.post(
        "/works/new",
        data={"kind": "photos", "title": "x", "photos": [(io.BytesIO(b"<svg onload=alert(1)>"), "x.svg")]},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422

    asset = make_asset(people["trainer"])
    with pytest.raises(services.WorkError):  # someone else's video
        services.submit_work(people["author"], services.WorkData("video", "视频", "", asset.id))
    video = services.submit_work(people["trainer"], services.WorkData("video", "微党课", "", asset.id))
    db.session.commit()
    assert not can_view_asset(people["reader"], asset)
    services.review_work(people["coordinator"], video, True, "", video.created_at)
    db.session.commit()
    assert can_view_asset(people["reader"], asset)


def test_likes_comments_moderation_and_featuring(as_user, people, clock):
    work = article(people["author"])
    services.review_work(people["trainer"], work, True, "", clock.now)
    db.session.commit()
    reader = as_user(people["reader"])
    assert reader.post(f"/works/{work.id}/like").status_code == 302
    assert reader.post(f"/works/{work.id}/like").status_code == 302
    db.session.refresh(work)
    assert work.like_count == 1
    assert reader.post(f"/works/{work.id}/comment", data={"body": "写得真好！"}).status_code == 302
    comment = services.comments_for(work, people["admin"])[0]
    assert reader.post(f"/works/{work.id}/comments/{comment.id}/hide").status_code == 403
    assert reader.post(f"/works/{work.id}/comments/{comment.id}/report").status_code == 302
    admin = as_user(people["admin"])
    assert admin.post(f"/works/{work.id}/comments/{comment.id}/hide").status_code == 302
    assert "写得真好" not in reader.get(f"/works/{work.id}").get_data(as_text=True)
    assert reader.post(f"/works/{work.id}/feature").status_code == 403
    assert "works.featured" not in [k for s in sections_for(people["reader"]) for k in s.keys]
    assert as_user(people["coordinator"]).post(f"/works/{work.id}/feature").status_code == 302
    assert "works.featured" in [k for s in sections_for(people["reader"]) for k in s.keys]
    assert 'data-testid="works-featured"' in reader.get("/").get_data(as_text=True)


def test_the_api_takes_articles_and_videos(client, login, people, make_asset):
    login(people["author"])
    created = client.post("/api/v1/works", json={"kind": "article", "title": "学习心得", "body": "正文"})
    assert created.status_code == 201
    assert created.get_json()["data"]["status"] == "review"
    for bad in (
        {"kind": "poem", "title": "x", "body": "y"},
        {"kind": "article", "title": "", "body": "y"},
        {"kind": "article", "title": "x", "body": ""},
        {"kind": "photos", "title": "x", "body": "y"},
        {"kind": "video", "title": "x", "media_asset_id": 99999999999999999999},
        {"kind": "video", "title": "x", "media_asset_id": "abc"},
        {"kind": ["article"], "title": "x"},
    ):
        assert client.post("/api/v1/works", json=bad).status_code == 422, bad
    asset = make_asset(people["author"])
    video = client.post("/api/v1/works", json={"kind": "video", "title": "视频", "media_asset_id": asset.id})
    assert video.status_code == 201


@pytest.mark.integration
def test_twenty_likes_at_once_count_once(shared_app):
    from app.accounts import services as accounts
    from app.accounts.models import User
    from app.core.clock import utcnow

    with shared_app.app_context():
        author, trainer = (
            accounts.create_user(
                accounts.UserData(employee_no=f"WK{n}", name=f"作者{n}"), roles, None, "Passw0rd-x"
            )
            for n, roles in enumerate((["member"], ["trainer"]))
        )
        db.session.commit()
        work = article(author)
        services.review_work(trainer, work, True, "", utcnow())
        db.session.commit()
        work_id, user_id = work.id, author.id
        db.session.remove()
        barrier, errors, liked = threading.Barrier(20), [], []

        def like():
            try:
                with shared_app.app_context():
                    barrier.wait(timeout=30)
                    try:
                        services.like_work(db.session.get(User, user_id), db.session.get(Work, work_id))
                        db.session.commit()
                        liked.append(1)
                    except services.WorkError:
                        db.session.rollback()
            except Exception as exc:
                errors.append(repr(exc))

        threads = [threading.Thread(target=like) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        assert len(liked) == 1
        assert db.session.get(Work, work_id).like_count == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkLike)) == 1


@pytest.mark.parametrize("payload", PAYLOADS, ids=[f"p{i + 1}" for i in range(len(PAYLOADS))])
def test_no_payload_survives_in_works_and_comments(as_user, people, clock, payload):
    title = f"作品 {payload}"[:200]
    work = services.submit_work(people["author"], services.WorkData("article", title, f"正文\n\n{payload}"))
    services.review_work(people["trainer"], work, True, "", clock.now)
    services.set_featured(people["coordinator"], work, True)
    services.add_comment(people["reader"], work, payload[:1000])
    returned = services.submit_work(people["author"], services.WorkData("article", title, payload))
    services.review_work(people["trainer"], returned, False, payload[:1000], clock.now)
    db.session.commit()
    pages = {
        people["reader"]: ["/", "/works/", f"/works/{work.id}", "/notifications"],
        people["author"]: [f"/works/{returned.id}", "/works/?tab=mine", "/notifications"],
        people["admin"]: [f"/works/{work.id}"],
    }
    for user, paths in pages.items():
        client = as_user(user)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            assert executable_parts(response.get_data(as_text=True)) == [], path
