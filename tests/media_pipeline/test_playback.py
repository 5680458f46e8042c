"""Signed playback URLs (issue 19): a client holding only the URLs the lesson API gave it (no cookie,
no header) plays the master, a variant and its segments; nothing else opens them."""

import re
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest

from app.accounts.services import issue_api_token, set_user_active
from app.extensions import db
from courses import services as courses
from courses.models import CourseStatus, Enrollment
from media_pipeline import playback
from tests.helpers import config_set, get_media


@pytest.fixture
def lesson_media(processed, create_user):
    """A published course whose one lesson plays a really transcoded asset, and an enrolled member."""
    trainer = create_user("trainer", "member", name="王讲师")
    outcome, asset = processed("tiny.3gp", trainer)
    assert outcome == "ready"
    course = courses.create_course(courses.CourseData(title="学习贯彻党的二十大精神"), trainer)
    chapter = courses.add_chapter(course, "第一讲", trainer)
    lesson = courses.create_lesson(
        chapter, courses.LessonData(title="第一课", kind="video", media_asset_id=asset.id), trainer
    )
    courses.publish_course(course, trainer)
    member = create_user("member", name="李学员")
    courses.enrol(course, member)
    db.session.commit()
    return lesson, asset, member


def bearer(user) -> dict:
    _row, plain = issue_api_token(user, "手机", actor=user)
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def playback_of(client, lesson, user) -> dict:
    response = client.get(f"/api/v1/lessons/{lesson.id}", headers=bearer(user))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]["playback"]


def bare(app):
    """A client with no cookie jar: what a native player or a CDN is."""
    return app.test_client(use_cookies=False)


def path(url: str) -> str:
    return urlsplit(url).path


def uris(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def test_the_urls_alone_play_the_master_a_variant_and_its_segments(app, client, lesson_media):
    lesson, _asset, member = lesson_media
    urls = playback_of(client, lesson, member)
    assert "/media/p/" in urls["hls"]
    assert urls["expires_at"]
    player = bare(app)
    master = player.get(path(urls["hls"]))
    assert master.status_code == 200
    assert master.mimetype == "application/vnd.apple.mpegurl"
    variants = uris(master.get_data(as_text=True))
    assert variants  # relative: they inherit the token's path
    variant_url = urljoin(urls["hls"], variants[0])
    variant = player.get(path(variant_url))
    assert variant.status_code == 200
    segments = uris(variant.get_data(as_text=True))
    assert segments
    for segment in segments:
        # the token is in the path: a shared cache may keep it (per token), for no longer than the token
        assert "public" in player.get(path(urljoin(variant_url, segment))).headers["Cache-Control"]
        response = get_media(player, path(urljoin(variant_url, segment)))  # with S3, from the bucket
        assert response.status_code == 200, segment
        assert response.mimetype == "video/mp2t"
        assert len(response.data) > 0
    for name in ("mp4", "poster"):
        assert get_media(player, path(urls[name])).status_code == 200, name
    fallback = get_media(player, path(urls["mp4"]), headers={"Range": "bytes=0-99"})
    assert fallback.status_code == 206
    assert len(fallback.data) == 100


def _alter(url: str) -> str:
    """The URL with one character of the signature changed."""
    token = path(url).split("/")[3]
    signature = token.rsplit(".", 1)[1]
    changed = signature[:5] + ("A" if signature[5] != "A" else "B") + signature[6:]
    return path(url).replace(token, token[: -len(signature)] + changed)


def test_an_altered_signature_member_or_expiry_is_refused(app, client, lesson_media):
    lesson, asset, member = lesson_media
    urls = playback_of(client, lesson, member)
    player = bare(app)
    assert player.get(_alter(urls["hls"])).status_code == 403
    token = path(urls["hls"]).split("/")[3]
    key_id, user_id, expires, signature = token.split(".")
    for forged in (
        f"{key_id}.{int(user_id) + 1}.{expires}.{signature}",  # someone else's id under my signature
        f"{key_id}.{user_id}.{int(expires) + 86400}.{signature}",  # a later expiry
        f"9.{user_id}.{expires}.{signature}",  # an unknown key
        "garbage",
        f"{key_id}.{user_id}.{expires}",
    ):
        assert player.get(path(urls["hls"]).replace(token, forged)).status_code == 403, forged
    # the path without the token: the cookie route, and no cookie here
    key = asset.output_dir.rsplit("/", 1)[-1]
    assert player.get(f"/media/{asset.id}/{key}/master.m3u8").status_code == 401
    assert player.get(f"/media/p/{asset.id}/{key}/master.m3u8").status_code in (403, 404)


def test_a_url_stops_working_after_its_expiry(app, client, lesson_media, clock):
    lesson, _asset, member = lesson_media
    with config_set(app, PLAYBACK_URL_TTL_SECONDS=600, PLAYBACK_URL_BUCKET_SECONDS=60):
        urls = playback_of(client, lesson, member)
    player = bare(app)
    assert player.get(path(urls["hls"])).status_code == 200
    clock.advance(540)
    assert player.get(path(urls["hls"])).status_code == 200
    clock.advance(timedelta(minutes=2).total_seconds())
    assert player.get(path(urls["hls"])).status_code == 403


def test_a_token_is_bound_to_its_asset_and_version(app, client, lesson_media, processed, create_user):
    lesson, asset, member = lesson_media
    _outcome, other = processed("tiny.3gp", create_user("trainer"))  # an asset this member may not see
    urls = playback_of(client, lesson, member)
    player = bare(app)
    mine = path(urls["hls"])
    key = asset.output_dir.rsplit("/", 1)[-1]
    other_key = other.output_dir.rsplit("/", 1)[-1]
    elsewhere = mine.replace(f"/{asset.id}/{key}/", f"/{other.id}/{other_key}/")
    assert player.get(elsewhere).status_code == 403
    older_version = mine.replace(f"/{key}/", "/1700000000-abababababab/")
    assert player.get(older_version).status_code == 403


def test_a_member_without_access_gets_no_urls_and_old_ones_stop(app, client, lesson_media, create_user):
    lesson, asset, member = lesson_media
    stranger = create_user("member")
    refused = client.get(f"/api/v1/lessons/{lesson.id}", headers=bearer(stranger))
    assert refused.status_code == 403
    # a stranger's own token for this asset (signed by the server, say via another lesson) opens nothing
    with app.test_request_context():
        token = playback.issue_token(stranger, asset.id, asset.output_dir.rsplit("/", 1)[-1])
    urls = playback_of(client, lesson, member)
    player = bare(app)
    theirs = re.sub(r"/media/p/[^/]+/", f"/media/p/{token}/", path(urls["hls"]))
    assert player.get(theirs).status_code == 403
    assert player.get(path(urls["hls"])).status_code == 200

    enrollment = db.session.scalar(db.select(Enrollment).filter_by(user_id=member.id))
    db.session.delete(enrollment)  # unenrolled
    db.session.commit()
    assert player.get(path(urls["hls"])).status_code == 403
    assert client.get(f"/api/v1/lessons/{lesson.id}", headers=bearer(member)).status_code == 403


def test_a_member_who_loses_access_mid_lesson_is_stopped_within_the_recheck_time(
    app, client, lesson_media, clock
):
    """Segments, a player's most frequent request, trust a viewer check for a minute (no database
    per segment); the playlists ask every time, so nobody starts playing again meanwhile."""
    lesson, _asset, member = lesson_media
    urls = playback_of(client, lesson, member)
    player = bare(app)
    variant_url = urljoin(urls["hls"], uris(player.get(path(urls["hls"])).get_data(as_text=True))[0])
    segment = path(urljoin(variant_url, uris(player.get(path(variant_url)).get_data(as_text=True))[0]))
    assert get_media(player, segment).status_code == 200

    def unenrol():
        db.session.delete(db.session.scalar(db.select(Enrollment).filter_by(user_id=member.id)))
        db.session.commit()

    unenrol()
    recheck = app.config["PLAYBACK_ACCESS_RECHECK_SECONDS"]
    assert recheck == 60
    clock.advance(recheck - 5)
    assert get_media(player, segment).status_code == 200  # the lesson plays on a little
    clock.advance(10)
    assert player.get(segment).status_code == 403  # and within the minute it stops

    courses.enrol(lesson.course, member)
    db.session.commit()
    assert get_media(player, segment).status_code == 200  # access checked again: yes, remembered
    unenrol()
    assert player.get(path(urls["hls"])).status_code == 403  # a playlist asks every time: no restart
    with config_set(app, PLAYBACK_ACCESS_RECHECK_SECONDS=0):  # or at once, where that is wanted
        courses.enrol(lesson.course, member)
        db.session.commit()
        assert get_media(player, segment).status_code == 200
        unenrol()
        assert player.get(segment).status_code == 403


def test_unpublished_course_or_disabled_account_stops_the_urls(app, client, lesson_media, create_user):
    lesson, _asset, member = lesson_media
    urls = playback_of(client, lesson, member)
    player = bare(app)
    course = lesson.course
    course.status = CourseStatus.DRAFT
    db.session.commit()
    assert player.get(path(urls["hls"])).status_code == 403
    course.status = CourseStatus.PUBLISHED
    db.session.commit()
    assert player.get(path(urls["hls"])).status_code == 200
    set_user_active(member, False, create_user("admin"))
    db.session.commit()
    assert player.get(path(urls["hls"])).status_code == 403


def test_rotating_the_key_retires_old_urls_unless_kept(app, client, lesson_media):
    lesson, _asset, member = lesson_media
    urls = playback_of(client, lesson, member)
    player = bare(app)
    with config_set(app, PLAYBACK_KEY_ID="2", PLAYBACK_RETIRED_KEY_IDS="1"):
        assert player.get(path(urls["hls"])).status_code == 200
    with config_set(app, PLAYBACK_KEY_ID="2"):
        assert player.get(path(urls["hls"])).status_code == 403
        fresh = playback_of(client, lesson, member)
        assert player.get(path(fresh["hls"])).status_code == 200


def test_the_lesson_api_costs_the_same_however_many_chapters_the_course_has(
    app, client, lesson_media, count_queries
):
    """Its previous/next lessons came from a second walk of the course, a query per chapter."""
    lesson, _asset, member = lesson_media
    headers = bearer(member)

    def statements() -> int:
        db.session.commit()  # each request starts as a fresh one does: nothing of the lesson loaded
        with count_queries() as seen:
            assert client.get(f"/api/v1/lessons/{lesson.id}", headers=headers).status_code == 200
        return len(seen)

    statements()  # the token's first use is written down once
    one_chapter = statements()
    trainer = lesson.course.owner
    for n in range(6):
        chapter = courses.add_chapter(lesson.course, f"第{n + 2}讲", trainer)
        courses.create_lesson(chapter, courses.LessonData(f"阅读{n}", "article", body="正文"), trainer)
    db.session.commit()
    assert statements() == one_chapter
    data = client.get(f"/api/v1/lessons/{lesson.id}", headers=headers).get_json()["data"]
    assert data["previous_id"] is None
    assert data["next_id"] is not None  # the first reading, in the course's order


def test_the_lesson_page_plays_the_same_signed_urls(client, login, lesson_media):
    lesson, _asset, member = lesson_media
    login(member)
    page = client.get(f"/courses/lessons/{lesson.id}").get_data(as_text=True)
    hls = re.search(r'data-hls="([^"]+)"', page).group(1)
    assert hls.startswith("/media/p/")
    assert client.get(hls).status_code == 200
