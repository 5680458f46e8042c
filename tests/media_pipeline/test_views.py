"""HTTP: the trainer's resumable upload, the API upload, and protected serving with Range."""

import io

import pytest

from app.accounts.services import issue_api_token
from app.extensions import db
from media_pipeline import services
from media_pipeline.models import AssetStatus, MediaAsset, MediaUpload
from tests.helpers import config_set, count, get_media, media_on_s3, stored_path

CHUNK = 64 * 1024


@pytest.fixture
def small_chunks(app):
    with config_set(app, MEDIA_UPLOAD_CHUNK_BYTES=CHUNK):
        yield


def start(client, name: str, size: int):
    return client.post("/media/uploads", json={"filename": name, "size": size})


def put(client, url: str, data: bytes, offset: int, total: int, **kwargs):
    headers = {"Content-Range": f"bytes {offset}-{offset + len(data) - 1}/{total}"}
    return client.put(url, data=data, headers=headers, content_type="application/octet-stream", **kwargs)


def upload_whole(client, data: bytes, name: str):
    started = start(client, name, len(data)).get_json()["data"]
    for offset in range(0, len(data), CHUNK):
        assert (
            put(client, started["url"], data[offset : offset + CHUNK], offset, len(data)).status_code == 200
        )
    return client.post(started["url"] + "/complete")


# --- the upload page and resumable chunks ---------------------------------------------------------------


def test_trainer_sees_the_upload_page_and_a_member_does_not(client, login_as):
    login_as("trainer")
    page = client.get("/media/upload")
    assert page.status_code == 200
    assert "/media/static/upload." in page.get_data(as_text=True)
    assert "media-progress" in page.get_data(as_text=True)
    assert client.get("/media/static/upload.js").status_code == 200
    client.post("/logout")
    login_as("member")
    assert client.get("/media/upload").status_code == 403
    assert start(client, "x.mp4", 10).status_code == 403


def test_an_unreadable_upload_request_gets_a_message_and_opens_nothing(client, login_as):
    """A body that is not a JSON object, or a size of Infinity (int() overflows), answered 500."""
    login_as("trainer")
    for body in (
        "x",
        [1],
        {"filename": "党课.mp4", "size": float("inf")},
        {"filename": "党课.mp4", "size": "1e9"},
    ):
        response = client.post("/media/uploads", json=body)
        assert 400 <= response.status_code < 500, body
        assert response.get_json()["errors"][0]["message"]
    assert count(MediaUpload) == 0


def test_a_dropped_connection_resumes_from_the_last_byte_received(
    client, login_as, media_files, small_chunks, no_queue
):
    login_as("trainer")
    data = media_files.get("no_audio.mp4").read_bytes()
    started = start(client, "党课.mp4", len(data))
    assert started.status_code == 201
    url = started.get_json()["data"]["url"]
    assert put(client, url, data[:CHUNK], 0, len(data)).get_json()["data"]["received"] == CHUNK

    # The second chunk is cut off after 10 000 bytes: the server keeps what arrived.
    cut = client.put(
        url,
        input_stream=io.BytesIO(data[CHUNK : CHUNK + 10_000]),
        headers={"Content-Range": f"bytes {CHUNK}-{2 * CHUNK - 1}/{len(data)}"},
        environ_overrides={"CONTENT_LENGTH": str(CHUNK)},  # announced a whole chunk, sent less
        content_type="application/octet-stream",
    )
    assert cut.status_code == 400, cut.get_json()
    state = client.get(url).get_json()["data"]
    assert state["received"] == CHUNK + 10_000

    # A chunk from the wrong place is refused with the offset to continue from.
    stale = put(client, url, data[:CHUNK], 0, len(data))
    assert stale.status_code == 409
    assert stale.get_json()["received"] == CHUNK + 10_000

    offset = state["received"]
    while offset < len(data):
        offset = put(client, url, data[offset : offset + CHUNK], offset, len(data)).get_json()["data"][
            "received"
        ]
    done = client.post(url + "/complete")
    assert done.status_code == 201, done.get_json()
    body = done.get_json()["data"]
    assert body["status"] == "transcoding"
    assert no_queue == [body["id"]]
    asset = db.session.get(MediaAsset, body["id"])
    assert stored_path(asset.original_path).read_bytes() == data  # byte for byte
    assert asset.original_filename == "党课.mp4"
    assert asset.duration == pytest.approx(2.0, abs=0.1)


def test_bad_files_are_refused_after_upload_with_the_reason_and_no_job(
    client, login_as, media_files, small_chunks, no_queue
):
    login_as("trainer")
    for name, message in [
        ("pdf_renamed.mp4", "PDF"),
        ("truncated.mp4", "不完整"),
        ("random.mp4", "无法识别"),
    ]:
        response = upload_whole(client, media_files.get(name).read_bytes(), name)
        assert response.status_code == 422
        assert message in response.get_json()["errors"][0]["message"]
        # the trainer finds the reason on the asset's page too
        page = client.get(f"/media/{response.get_json()['data']['id']}").get_data(as_text=True)
        assert message in page
    assert no_queue == []


def test_size_limits_are_checked_before_and_during_the_upload(client, login_as, app, small_chunks):
    login_as("trainer")
    with config_set(app, MEDIA_MAX_UPLOAD_BYTES=100_000):
        too_big = start(client, "big.mp4", 100_001)
        assert too_big.status_code == 413
        assert "超过上限" in too_big.get_json()["errors"][0]["message"]
    assert start(client, "empty.mp4", 0).status_code == 422
    url = start(client, "a.mp4", 1000).get_json()["data"]["url"]
    beyond = put(client, url, b"x" * 1500, 0, 1500)
    assert beyond.status_code == 400  # the range does not match the declared size
    over = client.put(
        url,
        data=b"x" * (CHUNK * 2),
        headers={"Content-Range": f"bytes 0-{CHUNK * 2 - 1}/1000"},
        content_type="application/octet-stream",
    )
    assert over.status_code in (400, 413)
    assert client.get(url).get_json()["data"]["received"] == 0


def test_an_upload_belongs_to_its_owner(client, login_as):
    login_as("trainer")
    url = start(client, "a.mp4", 1000).get_json()["data"]["url"]
    client.post("/logout")
    login_as("trainer")
    assert client.get(url).status_code == 404
    assert put(client, url, b"x" * 10, 0, 1000).status_code == 404
    assert client.get("/media/uploads/../../etc/passwd").status_code == 404


# --- the API --------------------------------------------------------------------------------------------


def bearer(user) -> dict:
    _token, plain = issue_api_token(user, "script", actor=None)
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_api_upload_with_a_trainer_token(client, create_user, media_files, no_queue):
    trainer = create_user("trainer")
    data = media_files.get("tiny.3gp").read_bytes()
    parts = services.media_store().root / "uploads"
    before = set(parts.glob("*.part"))
    response = client.post(
        "/api/v1/media",
        data={"file": (io.BytesIO(data), "第一课.3gp")},
        headers=bearer(trainer),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["success"] is True
    assert set(body["data"]) == {"id", "status"}
    assert body["data"]["status"] == "transcoding"
    assert no_queue == [body["data"]["id"]]
    asset = db.session.get(MediaAsset, body["data"]["id"])
    assert asset.owner_id == trainer.id
    assert stored_path(asset.original_path).read_bytes() == data
    assert set(parts.glob("*.part")) == before  # streamed to a part file, then moved in


def test_api_upload_refusals(client, create_user, media_files, app, no_queue):
    member, admin = create_user("member"), create_user("admin")
    pdf = media_files.get("pdf_renamed.mp4").read_bytes()

    def send(user, data=pdf, name="a.mp4"):
        return client.post(
            "/api/v1/media",
            data={"file": (io.BytesIO(data), name)},
            headers=bearer(user),
            content_type="multipart/form-data",
        )

    assert send(member).status_code == 403
    refused = send(admin)
    assert refused.status_code == 422
    assert "PDF" in refused.get_json()["errors"][0]["message"]
    with config_set(app, MEDIA_MAX_UPLOAD_BYTES=1000):
        assert send(admin, data=b"x" * (2 * 1024 * 1024)).status_code == 413
    assert send(admin, data=b"").status_code == 422
    missing = client.post("/api/v1/media", data={}, headers=bearer(admin), content_type="multipart/form-data")
    assert missing.status_code == 422
    assert no_queue == []


# --- serving --------------------------------------------------------------------------------------------


@pytest.fixture
def ready_asset(processed, create_user):
    owner = create_user("trainer")
    outcome, asset = processed("tiny.3gp", owner)
    assert outcome == "ready"
    return owner, asset


def media_urls(asset) -> list[str]:
    key = asset.output_dir.rsplit("/", 1)[-1]
    paths = [asset.master_playlist, asset.poster, *asset.thumbnails, *(r.path for r in asset.renditions)]
    base = stored_path(asset.output_dir)
    segment = next(p.relative_to(base).as_posix() for p in base.rglob("*.ts"))
    return [f"/media/{asset.id}/{key}/{p}" for p in [*paths, segment]]


def test_owner_gets_every_file_with_the_right_type(client, login, ready_asset):
    owner, asset = ready_asset
    login(owner)
    types = {
        ".m3u8": "application/vnd.apple.mpegurl",
        ".ts": "video/mp2t",
        ".mp4": "video/mp4",
        ".jpg": "image/jpeg",
    }
    for url in media_urls(asset):
        assert "private" in client.get(url).headers["Cache-Control"]
        response = get_media(client, url)
        assert response.status_code == 200, url
        assert response.mimetype == types[url[url.rindex(".") :]]
    detail = client.get(f"/media/{asset.id}")
    assert detail.status_code == 200
    assert "master.m3u8" in detail.get_data(as_text=True)
    assert client.get(f"/media/{asset.id}/status").get_json()["data"]["status"] == "ready"


def test_range_requests_get_206_with_the_right_bytes(client, login, ready_asset):
    owner, asset = ready_asset
    login(owner)
    url = next(u for u in media_urls(asset) if u.endswith("fallback.mp4"))
    whole = stored_path(asset.output_dir) / "fallback.mp4"
    data = whole.read_bytes()
    part = get_media(client, url, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.data == data[100:1100]
    assert part.headers["Content-Range"] == f"bytes 100-1099/{len(data)}"
    tail = get_media(client, url, headers={"Range": "bytes=-500"})
    assert tail.status_code == 206
    assert tail.data == data[-500:]
    assert get_media(client, url, headers={"Range": f"bytes={len(data) + 10}-"}).status_code == 416


def test_no_one_else_gets_any_media_url(client, login, create_user, ready_asset):
    _owner, asset = ready_asset
    urls = [*media_urls(asset), f"/media/{asset.id}/status", f"/media/{asset.id}"]
    for url in urls:
        assert client.get(url).status_code in (401, 302), url  # not logged in
    login(create_user("member"))
    for url in urls:
        assert client.get(url).status_code in (403, 404), url
    client.post("/logout")
    login(create_user("trainer"))  # another trainer: not theirs
    for url in urls:
        assert client.get(url).status_code in (403, 404), url


def test_other_domains_grant_viewing_through_a_registered_check(client, login, create_user, ready_asset):
    _owner, asset = ready_asset
    member = create_user("member")
    allowed = {(member.id, asset.id)}

    def enrolled(user, asset_id):
        return (user.id, asset_id) in allowed

    services.register_viewer_check(enrolled)
    try:
        login(member)
        assert all(get_media(client, url).status_code == 200 for url in media_urls(asset))
        assert client.get(f"/media/{asset.id}/status").status_code == 403  # viewing is not managing
    finally:
        services.unregister_viewer_check(enrolled)
    assert client.get(media_urls(asset)[0]).status_code == 403


def test_admin_sees_any_asset(client, login, create_user, ready_asset):
    _owner, asset = ready_asset
    login(create_user("admin"))
    assert all(get_media(client, url).status_code == 200 for url in media_urls(asset))


@pytest.mark.parametrize(
    "path",
    [
        "../../../originals/{id}/original.3gp",
        "..%2F..%2F..%2Foriginals%2F{id}%2Foriginal.3gp",
        "%2e%2e/%2e%2e/%2e%2e/originals/{id}/original.3gp",
        "/etc/passwd",
        "360p/../../../../originals/{id}/original.3gp",
        "144p\\..\\master.m3u8",
        "ffmpeg.log",
        "master.m3u8%00.jpg",
    ],
)
def test_path_traversal_is_refused(client, login, ready_asset, path):
    owner, asset = ready_asset
    login(owner)
    key = asset.output_dir.rsplit("/", 1)[-1]
    # (a doubled slash is first redirected to the merged path, which then is refused too)
    response = client.get(f"/media/{asset.id}/{key}/" + path.format(id=asset.id), follow_redirects=True)
    assert response.status_code in (400, 404)
    assert client.get(f"/media/{asset.id}/..%2F..%2Foriginals/master.m3u8").status_code == 404


def test_nginx_and_apache_serving_modes(client, login, app, ready_asset):
    if media_on_s3():
        pytest.skip("nginx and Apache send files of a local MEDIA_ROOT; with S3 the bucket sends them")
    owner, asset = ready_asset
    login(owner)
    url = media_urls(asset)[0]
    with config_set(app, MEDIA_SERVE_MODE="x-accel-redirect", MEDIA_ACCEL_PREFIX="/_protected_media/"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.data == b""
        assert response.headers["X-Accel-Redirect"] == f"/_protected_media/{asset.output_dir}/master.m3u8"
        assert response.mimetype == "application/vnd.apple.mpegurl"
    with config_set(app, MEDIA_SERVE_MODE="x-sendfile"):
        response = client.get(url)
        assert response.headers["X-Sendfile"] == str(stored_path(asset.output_dir) / "master.m3u8")


def test_trainer_list_and_retranscode(client, login, ready_asset, no_queue):
    owner, asset = ready_asset
    login(owner)
    assert f"asset-{asset.id}" in client.get("/media/").get_data(as_text=True)
    response = client.post(f"/media/{asset.id}/retranscode")
    assert response.status_code == 302
    assert no_queue == [asset.id]
    asset = db.session.get(MediaAsset, asset.id, populate_existing=True)
    assert asset.status == AssetStatus.TRANSCODING
    assert asset.output_dir is not None
    assert count(MediaUpload) == 0
